"""Adapters: the only code that knows a vendor. Each implements a Protocol of `ports`."""
