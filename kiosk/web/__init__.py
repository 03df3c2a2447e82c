"""What both screens share on the web side: the client lists and LAN guard, the locale, the running parts."""
