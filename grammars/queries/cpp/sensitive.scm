; inherits: c
; C++ uses the C patterns; `std::system` is matched there too.
