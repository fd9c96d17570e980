#include "core/digit_regex.h"

#include <algorithm>
#include <unordered_map>
#include <memory>
#include <utility>

namespace sd {
namespace {

constexpr uint16_t kAnyDigit = 0x3FF;
// Counted repetition is expanded into copies; metadata never counts beyond 17 digits, so a
// bound well above that only keeps a hostile or mistaken pattern from exhausting memory.
constexpr int kMaxCount = 32;

// The parsed expression.
struct Ast {
  enum Kind { kSet, kEmpty, kCat, kAlt, kRepeat, kEnd } kind = kEmpty;
  uint16_t set = 0;  // kSet: bit d for digit d
  int min = 0;       // kRepeat
  int max = 0;       // kRepeat; -1 unbounded
  std::vector<Ast> kids;
};

class Parser {
 public:
  explicit Parser(std::string_view re) : re_(re) {}

  Result<Ast> Parse() {
    Ast ast = Alternation();
    if (!error_.empty()) return Fail(error_);
    if (pos_ != re_.size()) return Fail("unexpected ')'");
    return ast;
  }

 private:
  Error Fail(std::string_view what) const {
    return Error{Reason::kMalformed, std::string(what) + " at offset " + std::to_string(pos_) +
                                         " of \"" + std::string(re_.substr(0, 200)) + "\""};
  }
  bool AtEnd() const { return pos_ >= re_.size(); }
  char Peek() const { return AtEnd() ? '\0' : re_[pos_]; }
  void SetError(std::string what) {
    if (error_.empty()) error_ = std::move(what);
  }

  Ast Alternation() {
    Ast first = Concatenation();
    if (Peek() != '|') return first;
    Ast alt{Ast::kAlt};
    alt.kids.push_back(std::move(first));
    while (error_.empty() && Peek() == '|') {
      ++pos_;
      alt.kids.push_back(Concatenation());
    }
    return alt;
  }

  Ast Concatenation() {
    Ast cat{Ast::kCat};
    while (error_.empty() && !AtEnd() && Peek() != '|' && Peek() != ')') {
      cat.kids.push_back(Quantified());
    }
    if (cat.kids.empty()) return Ast{Ast::kEmpty};
    if (cat.kids.size() == 1) return std::move(cat.kids.front());
    return cat;
  }

  Ast Quantified() {
    Ast atom = Atom();
    while (error_.empty() && !AtEnd()) {
      int min = 0;
      int max = -1;
      const char c = Peek();
      if (c == '{') {
        if (!Counted(&min, &max)) return atom;  // consumes through '}'
      } else if (c == '?' || c == '*' || c == '+') {
        if (c == '?') max = 1;
        if (c == '+') min = 1;
        ++pos_;
      } else {
        break;
      }
      if (Peek() == '?' || Peek() == '+') {  // lazy or possessive: same language, but say no
        SetError("lazy or possessive quantifier");
        return atom;
      }
      Ast rep{Ast::kRepeat};
      rep.min = min;
      rep.max = max;
      rep.kids.push_back(std::move(atom));
      atom = std::move(rep);
    }
    return atom;
  }

  // "{n}", "{n,}" or "{n,m}" at pos_; leaves pos_ after the '}'.
  bool Counted(int* min, int* max) {
    ++pos_;
    if (!Number(min)) return false;
    *max = *min;
    if (Peek() == ',') {
      ++pos_;
      *max = -1;
      if (Peek() != '}' && !Number(max)) return false;
    }
    if (Peek() != '}') {
      SetError("unterminated count");
      return false;
    }
    ++pos_;
    if (*min > kMaxCount || *max > kMaxCount || (*max >= 0 && *max < *min)) {
      SetError("count out of range");
      return false;
    }
    return true;
  }

  bool Number(int* out) {
    size_t start = pos_;
    int n = 0;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9' && pos_ - start < 4) {
      n = n * 10 + (Peek() - '0');
      ++pos_;
    }
    if (pos_ == start) {
      SetError("count expected");
      return false;
    }
    *out = n;
    return true;
  }

  Ast Atom() {
    const char c = Peek();
    if (c >= '0' && c <= '9') {
      ++pos_;
      return Set(static_cast<uint16_t>(1u << (c - '0')));
    }
    if (c == '\\') {
      if (pos_ + 1 < re_.size() && re_[pos_ + 1] == 'd') {
        pos_ += 2;
        return Set(kAnyDigit);
      }
      SetError("unsupported escape");
      return Ast{};
    }
    if (c == '[') return Class();
    if (c == '(') return Group();
    if (c == '$') {  // only meaningful at the end of a top-level alternative: checked later
      ++pos_;
      return Ast{Ast::kEnd};
    }
    SetError(AtEnd() ? "quantifier or group expected" : "unsupported character");
    return Ast{};
  }

  static Ast Set(uint16_t set) {
    Ast a{Ast::kSet};
    a.set = set;
    return a;
  }

  Ast Class() {
    ++pos_;
    const bool negate = Peek() == '^';
    if (negate) ++pos_;
    uint16_t set = 0;
    while (error_.empty() && !AtEnd() && Peek() != ']') {
      if (Peek() == '\\' && pos_ + 1 < re_.size() && re_[pos_ + 1] == 'd') {
        set = kAnyDigit;
        pos_ += 2;
        continue;
      }
      const char lo = Peek();
      ++pos_;
      char hi = lo;
      if (Peek() == '-' && pos_ + 1 < re_.size() && re_[pos_ + 1] != ']') {
        hi = re_[pos_ + 1];
        pos_ += 2;
      }
      if (lo < '0' || hi > '9' || hi < lo) {
        SetError("unsupported character or range in class");
        break;
      }
      for (char d = lo; d <= hi; ++d) set |= static_cast<uint16_t>(1u << (d - '0'));
    }
    if (Peek() != ']') SetError("unterminated class");
    ++pos_;
    return Set(negate ? static_cast<uint16_t>(~set & kAnyDigit) : set);
  }

  Ast Group() {
    ++pos_;
    if (Peek() == '?') {
      if (pos_ + 1 < re_.size() && re_[pos_ + 1] == ':') {
        pos_ += 2;
      } else {
        SetError("unsupported group");
        return Ast{};
      }
    }
    Ast inner = Alternation();
    if (Peek() != ')') {
      SetError("unterminated group");
      return inner;
    }
    ++pos_;
    return inner;
  }

  std::string_view re_;
  size_t pos_ = 0;
  std::string error_;
};

// Thompson's construction: every node either reads one digit of `digits` and goes to `next`,
// or moves without reading along `eps`; `tag` marks a pattern's final node.
struct Nfa {
  struct Node {
    uint16_t digits = 0;
    int next = -1;
    uint32_t tag = 0;
    std::vector<int> eps;
  };
  std::vector<Node> nodes;

  int New() {
    nodes.emplace_back();
    return static_cast<int>(nodes.size() - 1);
  }
  void Eps(int from, int to) { nodes[static_cast<size_t>(from)].eps.push_back(to); }
};

struct Frag {
  int in;
  int out;
};

Frag Build(Nfa& nfa, const Ast& ast);

Frag BuildRepeat(Nfa& nfa, const Ast& ast) {
  const int start = nfa.New();
  int tail = start;
  for (int i = 0; i < ast.min; ++i) {
    const Frag f = Build(nfa, ast.kids.front());
    nfa.Eps(tail, f.in);
    tail = f.out;
  }
  if (ast.max < 0) {  // then any number more: a loop through one copy
    const int loop = nfa.New();
    const Frag f = Build(nfa, ast.kids.front());
    nfa.Eps(tail, loop);
    nfa.Eps(loop, f.in);
    nfa.Eps(f.out, loop);
    return Frag{start, loop};
  }
  const int end = nfa.New();
  for (int i = ast.min; i < ast.max; ++i) {  // each further copy optional
    nfa.Eps(tail, end);
    const Frag f = Build(nfa, ast.kids.front());
    nfa.Eps(tail, f.in);
    tail = f.out;
  }
  nfa.Eps(tail, end);
  return Frag{start, end};
}

Frag Build(Nfa& nfa, const Ast& ast) {
  switch (ast.kind) {
    case Ast::kSet: {
      const int a = nfa.New();
      const int b = nfa.New();
      nfa.nodes[static_cast<size_t>(a)].digits = ast.set;
      nfa.nodes[static_cast<size_t>(a)].next = b;
      return Frag{a, b};
    }
    case Ast::kEmpty: {
      const int a = nfa.New();
      return Frag{a, a};
    }
    case Ast::kCat: {
      Frag whole = Build(nfa, ast.kids.front());
      for (size_t i = 1; i < ast.kids.size(); ++i) {
        const Frag f = Build(nfa, ast.kids[i]);
        nfa.Eps(whole.out, f.in);
        whole.out = f.out;
      }
      return whole;
    }
    case Ast::kAlt: {
      const int in = nfa.New();
      const int out = nfa.New();
      for (const Ast& kid : ast.kids) {
        const Frag f = Build(nfa, kid);
        nfa.Eps(in, f.in);
        nfa.Eps(f.out, out);
      }
      return Frag{in, out};
    }
    case Ast::kRepeat:
      return BuildRepeat(nfa, ast);
    case Ast::kEnd:  // removed by Anchor() before building
      break;
  }
  return Frag{nfa.New(), 0};
}

// True when `ast` contains an end anchor anywhere.
bool HasEnd(const Ast& ast) {
  if (ast.kind == Ast::kEnd) return true;
  for (const Ast& kid : ast.kids) {
    if (HasEnd(kid)) return true;
  }
  return false;
}

Ast AnyTail() {
  Ast any{Ast::kRepeat};
  any.min = 0;
  any.max = -1;
  any.kids.push_back(Ast{Ast::kSet, kAnyDigit});
  return any;
}

// One top-level alternative: "X$" matches the whole input; otherwise, for a prefix pattern, X
// followed by anything ("X\d*"). An anchor anywhere else is refused.
bool AnchorAlternative(Ast* alt, bool prefix) {
  bool anchored = false;
  if (alt->kind == Ast::kEnd) {
    *alt = Ast{Ast::kEmpty};
    anchored = true;
  } else if (alt->kind == Ast::kCat && alt->kids.back().kind == Ast::kEnd) {
    alt->kids.pop_back();
    anchored = true;
  }
  if (HasEnd(*alt)) return false;
  if (prefix && !anchored) {
    Ast cat{Ast::kCat};
    cat.kids.push_back(std::move(*alt));
    cat.kids.push_back(AnyTail());
    *alt = std::move(cat);
  }
  return true;
}

// Applies the pattern's matching mode: whole input, or (prefix) any prefix of it.
bool Anchor(Ast* ast, bool prefix) {
  if (ast->kind != Ast::kAlt) return AnchorAlternative(ast, prefix);
  for (Ast& kid : ast->kids) {
    if (!AnchorAlternative(&kid, prefix)) return false;
  }
  return true;
}

// Epsilon closures, kept sorted: the key of a deterministic state. The marks are reused from
// call to call (a generation number, not a cleared vector), since a large plan's automaton
// takes tens of thousands of closures over thousands of nodes.
class Closer {
 public:
  explicit Closer(const Nfa& nfa) : nfa_(nfa), mark_(nfa.nodes.size(), 0) {}

  std::vector<int> Close(std::vector<int> set) {
    ++gen_;
    stack_.assign(set.begin(), set.end());
    for (int n : set) mark_[static_cast<size_t>(n)] = gen_;
    while (!stack_.empty()) {
      const int n = stack_.back();
      stack_.pop_back();
      for (int m : nfa_.nodes[static_cast<size_t>(n)].eps) {
        if (mark_[static_cast<size_t>(m)] == gen_) continue;
        mark_[static_cast<size_t>(m)] = gen_;
        set.push_back(m);
        stack_.push_back(m);
      }
    }
    // Only nodes that read a digit or end a pattern tell states apart.
    std::erase_if(set, [&](int n) {
      const Nfa::Node& node = nfa_.nodes[static_cast<size_t>(n)];
      return node.digits == 0 && node.tag == 0;
    });
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
    return set;
  }

 private:
  const Nfa& nfa_;
  std::vector<uint32_t> mark_;
  std::vector<int> stack_;
  uint32_t gen_ = 0;
};

// FNV-1a over a sorted node set: the automaton's sets are hashed, not ordered.
struct SetHash {
  size_t operator()(const std::vector<int>& v) const {
    uint64_t h = 1469598103934665603ull;
    for (int n : v) {
      h ^= static_cast<uint32_t>(n);
      h *= 1099511628211ull;
    }
    return static_cast<size_t>(h);
  }
};

}  // namespace

Result<DigitDfa> CompileDigitPatterns(std::span<const DigitPattern> patterns, size_t max_states) {
  Nfa nfa;
  const int start = nfa.New();
  for (const DigitPattern& p : patterns) {
    Result<Ast> ast = Parser(p.regex).Parse();
    if (!ast.ok()) return ast.error();
    Ast whole = std::move(ast.value());
    if (!Anchor(&whole, p.prefix)) {
      return Error{Reason::kMalformed, "end anchor inside \"" + std::string(p.regex) + "\""};
    }
    const Frag f = Build(nfa, whole);
    const int final_node = nfa.New();
    nfa.nodes[static_cast<size_t>(final_node)].tag = p.tag;
    nfa.Eps(start, f.in);
    nfa.Eps(f.out, final_node);
  }

  DigitDfa dfa;
  std::unordered_map<std::vector<int>, uint32_t, SetHash> ids;
  std::vector<std::vector<int>> pending;
  dfa.next_.assign(10, DigitDfa::kDead);  // state 0: dead, every digit stays dead
  dfa.tags_.push_back(0);
  ids.emplace(std::vector<int>{}, DigitDfa::kDead);
  auto intern = [&](std::vector<int> set) -> uint32_t {
    auto [it, inserted] = ids.emplace(std::move(set), static_cast<uint32_t>(dfa.tags_.size()));
    if (inserted) {
      uint32_t tags = 0;
      for (int n : it->first) tags |= nfa.nodes[static_cast<size_t>(n)].tag;
      dfa.tags_.push_back(tags);
      dfa.next_.resize(dfa.next_.size() + 10, DigitDfa::kDead);
      pending.push_back(it->first);
    }
    return it->second;
  };
  Closer closer(nfa);
  std::unordered_map<std::vector<int>, uint32_t, SetHash> step_memo;  // sorted step -> state
  if (intern(closer.Close({start})) == DigitDfa::kDead) {  // no pattern can match anything
    dfa.tags_.push_back(0);
    dfa.next_.resize(20, DigitDfa::kDead);
  }
  for (size_t done = 0; done < pending.size(); ++done) {
    if (dfa.tags_.size() > max_states) {
      return Error{Reason::kMalformed, "automaton exceeds " + std::to_string(max_states) +
                                           " states"};
    }
    const std::vector<int> set = pending[done];  // copy: intern() may grow `pending`
    const size_t from = done + 1;                // states are numbered in order of discovery
    for (uint32_t d = 0; d < 10; ++d) {
      std::vector<int> step;
      for (int n : set) {
        const Nfa::Node& node = nfa.nodes[static_cast<size_t>(n)];
        if (node.digits & (1u << d)) step.push_back(node.next);
      }
      if (step.empty()) continue;
      // Most steps were seen before (every digit of a \d, the same suffix reached from many
      // states): closing them again was most of the build time.
      std::sort(step.begin(), step.end());
      step.erase(std::unique(step.begin(), step.end()), step.end());
      auto known = step_memo.find(step);
      if (known != step_memo.end()) {
        dfa.next_[from * 10 + d] = known->second;
        continue;
      }
      const uint32_t to = intern(closer.Close(step));
      dfa.next_[from * 10 + d] = to;
      step_memo.emplace(std::move(step), to);
    }
  }
  return dfa;
}

}  // namespace sd
