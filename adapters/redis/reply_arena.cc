#include "adapters/redis/reply_arena.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
// A cached block is poisoned, so a reply used after hiredis freed it is still reported.
#define SD_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define SD_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define SD_POISON(p, n) ((void)(p), (void)(n))
#define SD_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace sd::redis {
namespace {

// A chunk of one reply's memory. Standard blocks are reused; a string larger than a quarter
// of one gets a block of its own, freed with the reply.
struct Block {
  Block* next;
  size_t size;  // usable bytes after the header
  size_t used;
};
constexpr size_t kAlign = alignof(std::max_align_t);
constexpr size_t kHeader = (sizeof(Block) + kAlign - 1) / kAlign * kAlign;
constexpr size_t kBlockBytes = 64 * 1024;
constexpr size_t kStandard = kBlockBytes - kHeader;
constexpr size_t kCacheMax = 8;  // 512 KiB per thread at most

// At the start of a root's first block, before the root object: where the next bump goes.
struct Chain {
  Block* first;
  Block* current;
};

size_t Round(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }
char* Data(Block* b) { return reinterpret_cast<char*>(b) + kHeader; }

struct Cache {
  std::vector<Block*> blocks;
  ~Cache() {
    for (Block* b : blocks) {
      SD_UNPOISON(Data(b), b->size);
      std::free(b);
    }
  }
};
thread_local Cache cache;

Block* NewBlock(size_t at_least) {
  Block* b = nullptr;
  if (at_least <= kStandard && !cache.blocks.empty()) {
    b = cache.blocks.back();
    cache.blocks.pop_back();
    SD_UNPOISON(Data(b), b->size);
  } else {
    const size_t size = at_least <= kStandard ? kStandard : Round(at_least);
    b = static_cast<Block*>(std::malloc(kHeader + size));
    if (b == nullptr) return nullptr;
    b->size = size;
  }
  b->next = nullptr;
  b->used = 0;
  return b;
}

void Release(Block* b) {
  while (b != nullptr) {
    Block* next = b->next;
    if (b->size == kStandard && cache.blocks.size() < kCacheMax) {
      SD_POISON(Data(b), b->size);
      cache.blocks.push_back(b);
    } else {
      std::free(b);
    }
    b = next;
  }
}

// `n` bytes in `chain`, from its current block or a new one linked after it.
void* Bump(Chain* chain, size_t n) {
  n = Round(n);
  Block* b = chain->current;
  if (b->size - b->used < n) {
    Block* fresh = NewBlock(n);
    if (fresh == nullptr) return nullptr;
    fresh->next = b->next;  // keep the chain whole; order does not matter for freeing
    b->next = fresh;
    chain->current = b = fresh;
  }
  void* p = Data(b) + b->used;
  b->used += n;
  return p;
}

Chain* ChainOfRoot(const redisReply* root) {
  return reinterpret_cast<Chain*>(const_cast<char*>(reinterpret_cast<const char*>(root)) -
                                  Round(sizeof(Chain)));
}

// A new object for `task`: the root starts a chain, any other goes into its root's chain and
// into its parent's element vector (as hiredis's own functions do).
redisReply* NewObject(const redisReadTask* task, int type, size_t extra, void** extra_out) {
  redisReply* r = nullptr;
  if (task->parent == nullptr) {
    Block* b = NewBlock(Round(sizeof(Chain)) + Round(sizeof(redisReply)) + Round(extra));
    if (b == nullptr) return nullptr;
    auto* chain = reinterpret_cast<Chain*>(Data(b));
    chain->first = chain->current = b;
    b->used = Round(sizeof(Chain));
    r = static_cast<redisReply*>(Bump(chain, sizeof(redisReply)));
    if (extra_out != nullptr) *extra_out = extra > 0 ? Bump(chain, extra) : nullptr;
  } else {
    const redisReadTask* t = task;
    while (t->parent != nullptr) t = t->parent;
    Chain* chain = ChainOfRoot(static_cast<const redisReply*>(t->obj));
    r = static_cast<redisReply*>(Bump(chain, sizeof(redisReply)));
    if (r == nullptr) return nullptr;
    if (extra_out != nullptr) {
      *extra_out = extra > 0 ? Bump(chain, extra) : nullptr;
      if (extra > 0 && *extra_out == nullptr) return nullptr;
    }
    auto* parent = static_cast<redisReply*>(task->parent->obj);
    parent->element[task->idx] = r;
  }
  if (r == nullptr) return nullptr;
  std::memset(r, 0, sizeof(*r));
  r->type = type;
  return r;
}

void* CreateString(const redisReadTask* task, char* str, size_t len) {
  void* copy = nullptr;
  redisReply* r = NewObject(task, task->type, len + 1, &copy);
  if (r == nullptr) return nullptr;
  r->str = static_cast<char*>(copy);
  std::memcpy(r->str, str, len);
  r->str[len] = '\0';
  r->len = len;
  return r;
}

void* CreateArray(const redisReadTask* task, int elements) {
  void* vec = nullptr;
  const size_t n = elements > 0 ? static_cast<size_t>(elements) : 0;
  redisReply* r = NewObject(task, REDIS_REPLY_ARRAY, n * sizeof(redisReply*), &vec);
  if (r == nullptr) return nullptr;
  r->elements = n;
  r->element = static_cast<redisReply**>(vec);
  if (n > 0) std::memset(vec, 0, n * sizeof(redisReply*));
  return r;
}

void* CreateInteger(const redisReadTask* task, long long value) {
  redisReply* r = NewObject(task, REDIS_REPLY_INTEGER, 0, nullptr);
  if (r != nullptr) r->integer = value;
  return r;
}

void* CreateNil(const redisReadTask* task) { return NewObject(task, REDIS_REPLY_NIL, 0, nullptr); }

void FreeRoot(void* root) {
  if (root == nullptr) return;
  Release(ChainOfRoot(static_cast<const redisReply*>(root))->first);
}

redisReplyObjectFunctions arena_functions = {CreateString, CreateArray, CreateInteger, CreateNil,
                                             FreeRoot};

}  // namespace

redisReplyObjectFunctions* ArenaReplyFunctions() { return &arena_functions; }

void UseArenaReplies(redisAsyncContext* ac) { ac->c.reader->fn = &arena_functions; }

size_t ArenaCachedBlocks() { return cache.blocks.size(); }

}  // namespace sd::redis
