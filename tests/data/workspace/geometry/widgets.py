"""Widgets and what can be done to them."""


def frobnicate_widget(data, scale=1.0):
    """Frobnicate a widget by the given scale."""
    return [x * scale for x in data]


class WidgetStore:
    """Keeps widgets by name."""

    def __init__(self, root):
        self.root = root

    def fetch_widget(self, name):
        """The widget called ``name``."""
        return self.root / name
