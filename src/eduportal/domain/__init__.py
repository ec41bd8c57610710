"""Pure data and rules: no I/O, and no import of any other eduportal package."""
