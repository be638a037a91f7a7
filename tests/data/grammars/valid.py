def add(x: int, y: int = 1) -> int:
    """Add two numbers."""
    return x + y
