#include "daemon/cli/args.h"

#include <cerrno>
#include <cstdlib>
#include <utility>

namespace sd::cli {

Args::Args(std::set<std::string> valued, std::set<std::string> flags)
    : valued_(std::move(valued)), flags_(std::move(flags)) {
  flags_.insert("help");
}

bool Args::Parse(int argc, char** argv, int start) {
  for (int i = start; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h") a = "--help";
    if (a.rfind("--", 0) != 0 || a.size() == 2) {
      error_ = "unexpected argument '" + a + "'";
      return false;
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (values_.count(name) > 0) {
      error_ = "--" + name + " given twice";
      return false;
    }
    if (flags_.count(name) > 0) {
      if (value) {
        error_ = "--" + name + " takes no value";
        return false;
      }
      values_[name] = "1";
    } else if (valued_.count(name) > 0) {
      if (!value) {
        if (i + 1 >= argc) {
          error_ = "--" + name + " needs a value";
          return false;
        }
        value = argv[++i];
      }
      values_[name] = std::move(*value);
    } else {
      error_ = "unknown option --" + name;
      return false;
    }
  }
  return true;
}

std::string Args::Get(const std::string& name, const std::string& def) const {
  auto it = values_.find(name);
  return it == values_.end() ? def : it->second;
}

std::optional<int64_t> Args::Int(const std::string& name, int64_t def, int64_t min, int64_t max) {
  if (!Has(name)) return def;
  const std::optional<int64_t> v = ParseInt(Get(name));
  if (!v || *v < min || *v > max) {
    error_ = "--" + name + " must be an integer in [" + std::to_string(min) + ", " +
             std::to_string(max) + "]";
    return std::nullopt;
  }
  return v;
}

std::optional<int64_t> ParseInt(const std::string& s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return std::nullopt;
  for (size_t k = i; k < s.size(); ++k) {
    if (s[k] < '0' || s[k] > '9') return std::nullopt;
  }
  errno = 0;
  const long long v = strtoll(s.c_str(), nullptr, 10);
  if (errno != 0) return std::nullopt;
  return static_cast<int64_t>(v);
}

}  // namespace sd::cli
