"""The SMS hotline (portal/hotline/): the webhook, conversations, MMS pictures, the protocol, segments."""
