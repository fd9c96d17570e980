#include "adapters/redis/redis_reply.h"

#include <hiredis/hiredis.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace sd::redis {

std::string ReplyString(const redisReply* r) {
  if (r == nullptr) return {};
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      return std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(r->integer);
    default:
      return {};
  }
}

bool ReplyIsError(const redisReply* r) { return r == nullptr || r->type == REDIS_REPLY_ERROR; }

bool ReplyErrorIs(const redisReply* r, std::string_view code) {
  if (r == nullptr || r->type != REDIS_REPLY_ERROR) return false;
  const std::string_view s(r->str, r->len);
  return s.substr(0, code.size()) == code && (s.size() == code.size() || s[code.size()] == ' ');
}

bool ReplyIsAclError(const redisReply* r) {
  if (ReplyErrorIs(r, "NOPERM") || ReplyErrorIs(r, "NOAUTH") || ReplyErrorIs(r, "WRONGPASS")) {
    return true;
  }
  // Inside a script Redis 7.0 reports a denied command or key as a plain ERR with this text.
  if (r == nullptr || r->type != REDIS_REPLY_ERROR) return false;
  return std::string_view(r->str, r->len).find("The user executing the script can't") !=
         std::string_view::npos;
}

redisReply* CopyReply(const redisReply* r) {
  if (r == nullptr) return nullptr;
  auto* c = static_cast<redisReply*>(std::calloc(1, sizeof(redisReply)));
  if (c == nullptr) throw std::bad_alloc();
  c->type = r->type;
  c->integer = r->integer;
  if (r->type == REDIS_REPLY_ARRAY) {
    if (r->elements > 0) {
      c->element = static_cast<redisReply**>(std::calloc(r->elements, sizeof(redisReply*)));
      if (c->element == nullptr) {
        std::free(c);
        throw std::bad_alloc();
      }
      // Counted as it fills, so freeReplyObject frees what was copied if a later copy throws.
      for (size_t i = 0; i < r->elements; ++i) {
        try {
          c->element[i] = CopyReply(r->element[i]);
        } catch (...) {
          c->elements = i;
          freeReplyObject(c);
          throw;
        }
        c->elements = i + 1;
      }
    }
  } else if (r->str != nullptr) {
    c->str = static_cast<char*>(std::malloc(r->len + 1));
    if (c->str == nullptr) {
      std::free(c);
      throw std::bad_alloc();
    }
    std::memcpy(c->str, r->str, r->len);
    c->str[r->len] = '\0';
    c->len = r->len;
  }
  return c;
}

EntryParse ParseStreamEntry(const redisReply* r, StreamEntry* e) {
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
      r->element[0]->type != REDIS_REPLY_STRING) {
    return EntryParse::kInvalid;
  }
  *e = StreamEntry{};
  e->entry_id = ReplyString(r->element[0]);
  const redisReply* f = r->element[1];
  if (f->type == REDIS_REPLY_NIL) return EntryParse::kDeleted;
  if (f->type != REDIS_REPLY_ARRAY || f->elements % 2 != 0) return EntryParse::kInvalid;
  // Exactly the four envelope fields, each once.
  enum : unsigned { kV = 1, kKid = 2, kJob = 4, kSig = 8, kAll = 15 };
  unsigned seen = 0;
  for (size_t i = 0; i + 1 < f->elements; i += 2) {
    const redisReply* name = f->element[i];
    const redisReply* value = f->element[i + 1];
    if (name->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING) {
      e->fields_ok = false;
      continue;
    }
    const std::string_view n(name->str, name->len);
    unsigned bit = 0;
    std::string* dst = nullptr;
    if (n == "v") {
      bit = kV;
      dst = &e->version;
    } else if (n == "kid") {
      bit = kKid;
      dst = &e->key_id;
    } else if (n == "job") {
      bit = kJob;
      dst = &e->job;
    } else if (n == "sig") {
      bit = kSig;
      dst = &e->sig;
    } else {
      e->fields_ok = false;
      continue;
    }
    if ((seen & bit) != 0) {
      e->fields_ok = false;  // keep the first value; the entry is rejected anyway
      continue;
    }
    seen |= bit;
    dst->assign(value->str, value->len);
  }
  if (seen != kAll) e->fields_ok = false;
  return EntryParse::kOk;
}

}  // namespace sd::redis
