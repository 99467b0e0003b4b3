"""The daemon: owns every task, the scheduler, the HTTP server and the writer."""
