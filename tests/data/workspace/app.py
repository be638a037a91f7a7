"""Uses the widgets module without opening it."""

from geometry import widgets


def main(data):
    return widgets.frob
