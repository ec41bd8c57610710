"""eduportal: image storage and processing for an AI-assisted education portal."""

__version__ = "0.1.0"
