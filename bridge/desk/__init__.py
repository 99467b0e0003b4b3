"""The service desk: the table of ticket actions, the contract desk (plans, notices) and its
clock. Above store and notify; speaks no SQL."""
