#include "adapters/redis/optout_watcher.h"

#include <spdlog/spdlog.h>

#include <cstring>

#include "adapters/redis/redis_reply.h"
#include "core/optout.h"

namespace sd::redis {
namespace {

constexpr const char* kScanPage = "5000";
constexpr size_t kTailBatch = 1000;
constexpr const char* kTailBatchText = "1000";

// MULTI, the commands, EXEC (RedisConnection::Transaction) from vectors.
bool Transaction(RedisConnection& conn, const std::vector<std::vector<std::string>>& commands,
                 RedisConnection::ReplyFn fn) {
  std::vector<const char*> argv;
  std::vector<size_t> lens, argcs;
  for (const auto& c : commands) {
    argcs.push_back(c.size());
    for (const std::string& a : c) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
  }
  return conn.Transaction(commands.size(), argcs.data(), argv.data(), lens.data(), std::move(fn));
}

long long VersionOf(const redisReply* r) {
  if (r == nullptr || r->type != REDIS_REPLY_STRING) return 0;
  return std::atoll(ReplyString(r).c_str());
}

}  // namespace

OptOutWatcher::OptOutWatcher(uv_loop_t* loop, const RedisEndpoint& endpoint,
                             const std::string& key_prefix, int64_t poll_ms)
    : conn_(loop, endpoint, "optouts"),
      hash_(key_prefix + "optouts"),
      version_key_(key_prefix + "optouts:version"),
      log_(key_prefix + "optouts:log"),
      poll_ms_(poll_ms) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
}

OptOutWatcher::~OptOutWatcher() = default;

void OptOutWatcher::Start() {
  if (started_) return;
  started_ = true;
  conn_.SetOnReady([this] { Poll(); });
  conn_.SetOnDown([this] {
    busy_ = loading_ = false;  // a load cut short starts again from the first page
    scanned_.clear();
  });
  conn_.Start();
  const auto every = static_cast<uint64_t>(poll_ms_);
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<OptOutWatcher*>(t->data)->Poll(); }, every, every);
}

void OptOutWatcher::Poll() {
  if (closing_ || busy_ || !conn_.ready()) return;
  if (current_ == nullptr) {
    BeginLoad();
    return;
  }
  busy_ = Transaction(
      conn_, {{"XREAD", "COUNT", kTailBatchText, "STREAMS", log_, log_id_}, {"GET", version_key_}},
      [this](redisReply* r) { OnTail(r); });
}

// The version and the log's last entry first, then the hash: changes made during the scan
// are in the log after that entry and are applied again afterwards (an add or a removal
// applied twice in order ends where it ended the first time).
void OptOutWatcher::BeginLoad() {
  busy_ = loading_ = true;
  scanned_.clear();
  const bool sent =
      Transaction(conn_, {{"GET", version_key_}, {"XREVRANGE", log_, "+", "-", "COUNT", "1"}},
                  [this](redisReply* r) {
                    if (!loading_) return;
                    if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
                        r->element[1]->type != REDIS_REPLY_ARRAY) {
                      if (r != nullptr)
                        spdlog::warn("optouts: reading the version failed: {}", ReplyString(r));
                      busy_ = loading_ = false;
                      return;
                    }
                    load_version_ = VersionOf(r->element[0]);
                    const redisReply* last = r->element[1];
                    load_log_id_ = last->elements > 0 && last->element[0]->elements > 0
                                       ? ReplyString(last->element[0]->element[0])
                                       : std::string("0-0");
                    ScanPage("0");
                  });
  if (!sent) busy_ = loading_ = false;
}

void OptOutWatcher::ScanPage(std::string cursor) {
  const bool sent =
      conn_.Command({"HSCAN", hash_, cursor, "COUNT", kScanPage}, [this](redisReply* r) {
        if (!loading_) return;
        if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
          if (r != nullptr)
            spdlog::warn("optouts: reading the opt-outs failed: {}", ReplyString(r));
          busy_ = loading_ = false;
          return;
        }
        const redisReply* page = r->element[1];
        std::string scope, number;
        for (size_t i = 0; i + 1 < page->elements; i += 2) {
          std::optional<OptOutKey> key;
          if (ParseOptOutField(ReplyString(page->element[i]), &scope, &number)) {
            key = MakeOptOutKey(scope, number);
          }
          if (key) {
            scanned_.push_back(*key);
          } else {
            ++counters_.bad_records;
          }
        }
        const std::string next = ReplyString(r->element[0]);
        if (next != "0") {
          ScanPage(next);
          return;
        }
        ++counters_.full_loads;
        applied_ = load_version_;
        log_id_ = load_log_id_;
        busy_ = loading_ = false;
        Publish(OptOutSet::Build(std::move(scanned_)));
        scanned_ = {};
        Poll();  // the changes made during the scan
      });
  if (!sent) busy_ = loading_ = false;
}

bool OptOutWatcher::Apply(redisReply* entry, std::vector<OptOutEdit>* edits) {
  log_id_ = ReplyString(entry->element[0]);
  const redisReply* fields = entry->element[1];
  long long v = 0;
  std::string op, field;
  for (size_t i = 0; i + 1 < fields->elements; i += 2) {
    const std::string name = ReplyString(fields->element[i]);
    if (name == "v") v = std::atoll(ReplyString(fields->element[i + 1]).c_str());
    if (name == "op") op = ReplyString(fields->element[i + 1]);
    if (name == "field") field = ReplyString(fields->element[i + 1]);
  }
  if (v <= applied_) return true;  // already in the copy (read by the full load)
  if (v != applied_ + 1) return false;
  applied_ = v;
  ++counters_.changes;
  std::string scope, number;
  std::optional<OptOutKey> key;
  if (ParseOptOutField(field, &scope, &number)) key = MakeOptOutKey(scope, number);
  if (!key || (op != "add" && op != "del")) {
    ++counters_.bad_records;
    return true;
  }
  edits->push_back({*key, op == "add"});
  return true;
}

void OptOutWatcher::OnTail(redisReply* r) {
  busy_ = false;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
    if (r != nullptr) spdlog::warn("optouts: reading the change log failed: {}", ReplyString(r));
    return;
  }
  std::vector<OptOutEdit> edits;
  size_t read = 0;
  bool gap = false;
  const redisReply* streams = r->element[0];
  if (streams->type == REDIS_REPLY_ARRAY && streams->elements > 0 &&
      streams->element[0]->elements == 2) {
    const redisReply* entries = streams->element[0]->element[1];
    for (size_t i = 0; i < entries->elements && !gap; ++i, ++read) {
      redisReply* e = entries->element[i];
      if (e->type != REDIS_REPLY_ARRAY || e->elements != 2) continue;
      gap = !Apply(e, &edits);
    }
  }
  if (!edits.empty()) Publish(current_->With(edits));
  // The counter is read in the same transaction as the log: once the log is read to its end,
  // it must name the last change applied.
  if (!gap && read < kTailBatch && VersionOf(r->element[1]) != applied_) gap = true;
  if (gap) {
    ++counters_.gaps;
    spdlog::warn("optouts: changes were missed (version {} after {}): reading them all again",
                 VersionOf(r->element[1]), applied_);
    BeginLoad();
    return;
  }
  if (read >= kTailBatch) Poll();  // more waiting
}

void OptOutWatcher::Publish(std::shared_ptr<const OptOutSet> set) {
  current_ = std::move(set);
  if (on_change_) on_change_(current_);
}

void OptOutWatcher::Close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  closed_ = std::move(done);
  pending_closes_ = 2;
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), [](uv_handle_t* h) {
    auto* self = static_cast<OptOutWatcher*>(h->data);
    if (--self->pending_closes_ == 0 && self->closed_) {
      auto cb = std::move(self->closed_);
      self->closed_ = nullptr;
      cb();
    }
  });
  conn_.Close(false, [this] {
    if (--pending_closes_ == 0 && closed_) {
      auto cb = std::move(closed_);
      closed_ = nullptr;
      cb();
    }
  });
}

}  // namespace sd::redis
