// The one exception type core throws for bad input or failed work.
//
// Contract: what() is a complete sentence for a person: what is wrong and where
// (file, byte offset, key or tensor name). kind() separates bad input (the user can fix
// the file or the arguments; CLI exit code 2) from runtime failures such as a full disk
// (exit code 1). Programmer errors use asserts or std::logic_error instead.
#pragma once

#include <stdexcept>
#include <string>

namespace qb {

enum class ErrorKind { BadInput, Runtime, Cancelled };

class Error : public std::runtime_error {
public:
    explicit Error(const std::string &what, ErrorKind kind = ErrorKind::BadInput)
        : std::runtime_error(what), m_kind(kind) {}
    ErrorKind kind() const { return m_kind; }

private:
    ErrorKind m_kind;
};

} // namespace qb
