// Recycled, uninitialised buffers for the pipeline's per-tensor data.
//
// Contract: take(n) returns a buffer of at least n elements whose contents are unspecified;
// give() hands it back for a later take(). The pool never holds more buffers than were in use at
// once, so the pipeline's few-tensors memory bound is unchanged. Thread-safe.
//
// Why: a fresh std::vector per tensor zero-fills it, and every large allocation is new pages the
// kernel must map and clear on first touch. For a cheap type (Q8_0 of an F16 model) that was
// ~60% of the whole run (perf: memset and page faults), more than the quantization itself.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace qb {

template <typename T>
class BufferPool {
public:
    struct Buffer {
        std::unique_ptr<T[]> data;
        size_t capacity = 0;
    };

    Buffer take(size_t n) {
        Buffer b;
        {
            std::lock_guard lock(m_mutex);
            // The smallest free buffer that fits; else the largest, to be regrown.
            size_t pick = m_free.size();
            for (size_t i = 0; i < m_free.size(); ++i) {
                const size_t c = m_free[i].capacity;
                if (pick == m_free.size()) { pick = i; continue; }
                const size_t best = m_free[pick].capacity;
                if ((c >= n && (best < n || c < best)) || (best < n && c > best)) pick = i;
            }
            if (pick < m_free.size()) {
                b = std::move(m_free[pick]);
                m_free.erase(m_free.begin() + std::ptrdiff_t(pick));
            }
        }
        if (b.capacity < n) {
            b.data.reset();  // free the old one first: never two copies of the largest tensor
            b.data.reset(new T[n]);  // default-initialised: no zero-fill
            b.capacity = n;
        }
        return b;
    }

    void give(Buffer b) {
        if (!b.data) return;
        std::lock_guard lock(m_mutex);
        m_free.push_back(std::move(b));
    }

private:
    std::mutex m_mutex;
    std::vector<Buffer> m_free;
};

} // namespace qb
