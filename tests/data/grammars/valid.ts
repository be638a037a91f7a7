function add(x: number, y: number = 1): number {
  return x + y;
}
