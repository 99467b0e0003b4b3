"""What comes in from other monitors (webhooks, PagerDuty-style events) becomes tickets."""
