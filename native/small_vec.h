// A vector of trivially copyable values that keeps its first N in place and
// only allocates beyond them. The spawn binding builds a dozen small arrays per
// call (argv, fds, groups, ...): on the common path none of them allocates.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

namespace procctl {

template <typename T, size_t N>
class SmallVec {
  static_assert(std::is_trivially_copyable<T>::value, "SmallVec holds plain values");

 public:
  SmallVec() = default;
  SmallVec(const SmallVec&) = delete;
  SmallVec& operator=(const SmallVec&) = delete;
  ~SmallVec() {
    if (data_ != inline_) free(data_);
  }

  void push_back(const T& v) {
    if (size_ == cap_) Reserve(cap_ * 2);
    data_[size_++] = v;
  }
  // Appends n values from p.
  void append(const T* p, size_t n) {
    if (size_ + n > cap_) Reserve(size_ + n > cap_ * 2 ? size_ + n : cap_ * 2);
    memcpy(data_ + size_, p, n * sizeof(T));
    size_ += n;
  }
  // Grows (new values are `fill`) or shrinks to n.
  void resize(size_t n, const T& fill = T()) {
    if (n > cap_) Reserve(n > cap_ * 2 ? n : cap_ * 2);
    for (size_t i = size_; i < n; i++) data_[i] = fill;
    size_ = n;
  }
  void Reserve(size_t cap) {
    if (cap <= cap_) return;
    T* p = static_cast<T*>(malloc(cap * sizeof(T)));
    if (p == nullptr) throw std::bad_alloc();
    if (size_ > 0) memcpy(p, data_, size_ * sizeof(T));
    if (data_ != inline_) free(data_);
    data_ = p;
    cap_ = cap;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }

 private:
  T inline_[N];
  T* data_ = inline_;
  size_t size_ = 0;
  size_t cap_ = N;
};

}  // namespace procctl
