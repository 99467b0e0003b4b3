"""Customer mail: an SMTP/LMTP receiver whose messages become comments and tickets."""
