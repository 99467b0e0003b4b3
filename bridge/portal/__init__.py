"""The portal: browser pages for customers (their own tickets) and the desk's people (the
queue, every ticket action, devices), served by the daemon itself under /portal/."""
