#include <vector>
template <typename T> T add(T x, T y) {
    std::vector<T> v{x, y};
    return v[0] + v[1];
}
