function add(x, y = 1) {
  return x + y;
}
const view = <span>{add(1)}</span>;
