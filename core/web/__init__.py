"""The Starlette app: visitor API v1, widget, demo page, operator console."""
