#include "adapters/config/toml_section.h"

#include <utility>

namespace sd {

std::variant<toml::table, FileError> ParseToml(std::string_view text, const std::string& file) {
  // toml++ reports syntax errors by exception; files are read at start-up and on reload, never
  // on the data path, and the exception never leaves this function.
  try {
    return toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return FileError{file, static_cast<int>(e.source().begin.line),
                     static_cast<int>(e.source().begin.column), std::string(e.description())};
  }
}

void Problems::At(const toml::source_region& where, std::string message) {
  At(static_cast<int>(where.begin.line), static_cast<int>(where.begin.column), std::move(message));
}

void Problems::At(int line, int column, std::string message) {
  if (!first_) first_ = FileError{{}, line, column, std::move(message)};
}

FileError Problems::ToError(const std::string& file) const {
  FileError e = *first_;
  e.file = file;
  return e;
}

Section::Section(const toml::table& t, std::string name, Problems& problems)
    : Section(t, name, "[" + name + "]", problems) {}

Section::Section(const toml::table& t, std::string name, std::string label, Problems& problems)
    : t_(t), name_(std::move(name)), label_(std::move(label)), problems_(problems) {}

bool Section::Present(const char* key, const toml::node* n, bool required) {
  if (n == nullptr && required) {
    problems_.At(t_, label_ + " is missing required key '" + key + "'");
  }
  return n != nullptr;
}

bool Section::CheckString(const char* key, const toml::node& n, std::string_view v,
                          bool non_empty) {
  if (non_empty && v.empty()) {
    problems_.At(n, Name(key) + " must not be empty");
    return false;
  }
  for (char c : v) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      problems_.At(n, Name(key) + " must not contain control characters");
      return false;
    }
  }
  return true;
}

std::string Section::Str(const char* key, std::string def, StrOptions options) {
  const toml::node* n = Node(key);
  if (!Present(key, n, options.required)) return def;
  if (!n->is_string()) {
    problems_.At(*n, Name(key) + " must be a string");
    return def;
  }
  std::string v(n->as_string()->get());
  CheckString(key, *n, v, options.non_empty || options.required);
  return v;
}

int64_t Section::Int(const char* key, int64_t def, int64_t min, int64_t max) {
  const toml::node* n = Node(key);
  if (n == nullptr) return def;
  if (!n->is_integer()) {
    problems_.At(*n, Name(key) + " must be an integer in [" + std::to_string(min) + ", " +
                         std::to_string(max) + "]");
    return def;
  }
  const int64_t v = n->as_integer()->get();
  if (v < min || v > max) {
    problems_.At(*n, Name(key) + " = " + std::to_string(v) + " is out of range [" +
                         std::to_string(min) + ", " + std::to_string(max) + "]");
    return def;
  }
  return v;
}

int64_t Section::RequiredInt(const char* key, int64_t min, int64_t max) {
  if (!Present(key, Node(key), true)) return min;
  return Int(key, min, min, max);
}

std::string Section::OneOf(const char* key, std::string def,
                           const std::vector<std::string>& allowed) {
  const toml::node* n = Node(key);
  if (n == nullptr) return def;
  std::string v = Str(key, def);
  for (const auto& a : allowed) {
    if (v == a) return v;
  }
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  problems_.At(*n, Name(key) + " must be one of " + list);
  return def;
}

bool Section::Bool(const char* key, bool def) {
  const toml::node* n = Node(key);
  if (n == nullptr) return def;
  if (!n->is_boolean()) {
    problems_.At(*n, Name(key) + " must be true or false");
    return def;
  }
  return n->as_boolean()->get();
}

std::vector<std::string> Section::StrList(const char* key, size_t max_items) {
  std::vector<std::string> out;
  const toml::node* n = Node(key);
  if (n == nullptr) return out;
  if (!n->is_array()) {
    problems_.At(*n, Name(key) + " must be an array of strings");
    return out;
  }
  const toml::array& a = *n->as_array();
  if (a.size() > max_items) {
    problems_.At(*n, Name(key) + " has more than " + std::to_string(max_items) + " entries");
    return out;
  }
  for (const toml::node& item : a) {
    if (!item.is_string()) {
      problems_.At(item, Name(key) + " must be an array of strings");
      return out;
    }
    std::string v(item.as_string()->get());
    CheckString(key, item, v, false);
    out.push_back(std::move(v));
  }
  return out;
}

void Section::RefuseInline(const char* key, const char* instead) {
  if (const toml::node* n = Node(key)) {
    problems_.At(*n, Name(key) + " is not allowed inline; use " + instead);
  }
}

const toml::node* Section::Node(const char* key) {
  known_.insert(key);
  return t_.get(key);
}

void Section::RefuseUnknown() {
  for (const auto& [k, v] : t_) {
    if (known_.find(k.str()) == known_.end()) {
      problems_.At(k.source(), "unknown key '" + std::string(k.str()) + "' in " + label_);
    }
  }
}

const toml::table& SubTable(const toml::table& root, const char* name, Problems& problems) {
  static const toml::table kEmpty;
  const toml::node* n = root.get(name);
  if (n == nullptr) return kEmpty;
  if (!n->is_table()) {
    problems.At(*n, std::string("[") + name + "] must be a table");
    return kEmpty;
  }
  return *n->as_table();
}

const toml::array* TableArray(const toml::table& root, const char* name, Problems& problems,
                              std::string_view hint) {
  const toml::node* n = root.get(name);
  if (n == nullptr) return nullptr;
  if (!n->is_array_of_tables()) {
    problems.At(*n, std::string(name) + " must be an array of tables: write [[" + name + "]]" +
                        std::string(hint));
    return nullptr;
  }
  return n->as_array();
}

}  // namespace sd
