// RedisJobStore's receipt batches without Lua where they can do without (redis_job_store.h),
// in the two steps the commits take (redis_job_store_commit.cc):
//
//   1. WATCH every receipt's correlation record, MGET them, TYPE of the receipt stream.
//   2. If every receipt is of a single-part job the script would simply file or drop (its
//      record exists, names no API job, and no other receipt of the batch shares it): MULTI,
//      for each whose state the record has not noted yet the receipt's XADD (the job's names
//      read from the record) and the record with the state noted (SET … XX KEEPTTL); EXEC. A
//      state already noted is a duplicate and writes nothing. A changed record (a receipt of
//      the same part through another daemon) makes EXEC run nothing; the batch is checked
//      again.
//
// Anything else (no record yet, quarantine, a multipart job's aggregation, an API job's
// status record, two receipts of one part in the batch, a receipt stream that is not a
// stream) sends the batch to the receipt script, as before. An XADD refused at run time inside
// EXEC puts its record back as step 1 read it before the retry, as the commits do.
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "adapters/redis/lua_scripts.h"
#include "adapters/redis/redis_job_store.h"
#include "adapters/redis/redis_reply.h"
#include "adapters/untrusted_log.h"

namespace sd::redis {

namespace {

// A correlation value (EncodeCorrelation: entry, job, ref and key id, then part and parts for a
// multipart job) and the states noted after it (";delivered;…").
struct Correlation {
  std::string_view parts[6];
  size_t nparts = 0;
  size_t names_end = 0;  // where the noted states begin
};

// The receipt script's reading of the value, in C++ (a value it could not read is left to it):
// "\x1e" and each name followed by "\x1f", or each name as "<decimal length>:<bytes>".
bool ParseCorrelation(std::string_view v, Correlation& out) {
  size_t i = 0;
  if (!v.empty() && v[0] == '\x1e') {
    i = 1;
    while (out.nparts < 6) {
      const size_t sep = v.find('\x1f', i);
      if (sep == std::string_view::npos) break;
      out.parts[out.nparts++] = v.substr(i, sep - i);
      i = sep + 1;
    }
  } else {
    while (i < v.size() && out.nparts < 6 && v[i] != ';') {
      const size_t colon = v.find(':', i);
      if (colon == std::string_view::npos || colon == i || colon - i > 9) return false;
      size_t n = 0;
      for (size_t k = i; k < colon; ++k) {
        if (v[k] < '0' || v[k] > '9') return false;
        n = n * 10 + static_cast<size_t>(v[k] - '0');
      }
      if (colon + 1 + n > v.size()) return false;
      out.parts[out.nparts++] = v.substr(colon + 1, n);
      i = colon + 1 + n;
    }
  }
  out.names_end = i;
  return out.nparts == 4;  // a single-part job; a multipart one (6) takes the script
}

}  // namespace

struct RedisJobStore::ReceiptCheck : PlainCheck {
  std::vector<std::string> values;  // per receipt: its record as step 1 read it
  std::vector<uint8_t> present;     // per receipt: the record exists
  // Step 2: per receipt its code, the new record value, its XADD's index in EXEC's reply.
  std::vector<long long> codes;
  std::vector<std::string> noted;
  std::vector<size_t> xadd_at;
};

void RedisJobStore::SendReceiptCheck(const std::shared_ptr<WriteOp>& op) {
  if (plain_refused_) {
    SendOpScript(op);
    return;
  }
  auto c = std::make_shared<ReceiptCheck>();
  const size_t n = op->receipts.size();
  c->values.resize(n);
  c->present.assign(n, 0);
  static const std::string kWatch = "WATCH", kMget = "MGET";
  ArgsClear();
  Arg(kWatch);
  for (const auto& [k, a] : op->receipts) Arg(op->keys[k]);
  bool sent = SendWatch(0, c);
  const size_t from = send_ptrs_.size();
  Arg(kMget);
  for (const auto& [k, a] : op->receipts) Arg(op->keys[k]);
  sent = sent && SendArgs(from, [c](redisReply* r) {
    if (r == nullptr) c->lost = true;
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != c->values.size()) {
      c->plain = false;
      return;
    }
    for (size_t i = 0; i < r->elements; ++i) {
      const redisReply* e = r->element[i];
      if (e->type != REDIS_REPLY_STRING) continue;
      c->present[i] = 1;
      c->values[i].assign(e->str, e->len);
    }
  });
  sent = sent && SendTypeCheck(op->keys[0], c, [this, op, c] {
    OnPlainChecked(op, *c, [&] { return SendPlainReceipts(op, c); });
  });
  HoldOrRequeue(op, sent);
}

// Step 2; false when a receipt needs the script (nothing sent then).
bool RedisJobStore::SendPlainReceipts(const std::shared_ptr<WriteOp>& op,
                                      const std::shared_ptr<ReceiptCheck>& c) {
  const size_t n = op->receipts.size();
  std::vector<std::string_view> keys;
  keys.reserve(n);
  for (const auto& [k, a] : op->receipts) keys.push_back(op->keys[k]);
  std::sort(keys.begin(), keys.end());
  if (std::adjacent_find(keys.begin(), keys.end()) != keys.end()) return false;
  std::vector<Correlation> corr(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t a = op->receipts[i].second;
    if (!c->present[i] || op->args[a + 2] == "2") return false;
    if (!ParseCorrelation(c->values[i], corr[i])) return false;
    if (corr[i].parts[1].substr(0, 4) == "api-") return false;
  }
  static const std::string kXadd = "XADD", kMaxlen = "MAXLEN", kApprox = "~", kStar = "*",
                           kSet = "SET", kXx = "XX", kKeepTtl = "KEEPTTL", kEntry = "entry",
                           kJob = "job", kRef = "ref", kKid = "kid", kStatus = "status";
  const std::string& maxlen = op->args[0];
  ArgsClear();
  auto args = [&](const auto&... s) { (Arg(s), ...); };
  c->codes.assign(n, kReceiptDuplicate);
  c->noted.resize(n);
  c->xadd_at.assign(n, SIZE_MAX);
  for (size_t i = 0; i < n; ++i) {
    const auto [k, a] = op->receipts[i];
    const std::string& state = op->args[a];
    const std::string_view value = c->values[i];
    const std::string_view seen = value.substr(corr[i].names_end);
    if (seen.find(";" + state + ";") != std::string_view::npos) continue;  // noted: a duplicate
    c->codes[i] = kReceiptWritten;
    c->xadd_at[i] = send_argcs_.size();
    args(kXadd, op->keys[0]);
    if (Trims(maxlen)) args(kMaxlen, kApprox, maxlen);
    // The script's field order: the job's names, carrier and message id, the state, the rest.
    const std::string_view* p = corr[i].parts;
    args(kStar, kEntry, p[0], kJob, p[1], kRef, p[2], kKid, p[3]);
    const size_t nf = static_cast<size_t>(std::stoul(op->args[a + 3]));
    for (size_t f = 0; f < 4; ++f) Arg(op->args[a + 4 + f]);
    args(kStatus, state);
    for (size_t f = 4; f < nf; ++f) Arg(op->args[a + 4 + f]);
    EndCommand();
    std::string& noted = c->noted[i];
    noted.append(value.substr(0, corr[i].names_end));
    noted.append(seen.empty() ? std::string_view(";") : seen);
    noted.append(state).push_back(';');
    args(kSet, op->keys[k], noted, kXx, kKeepTtl);
    EndCommand();
  }
  const bool sent =
      SendArgsTransaction([this, op, c](redisReply* r) { OnPlainReceiptsReply(op, *c, r); });
  if (sent) ++counters_.plain_receipts;
  return sent;
}

void RedisJobStore::OnPlainReceiptsReply(const std::shared_ptr<WriteOp>& op,
                                         const ReceiptCheck& c, redisReply* r) {
  if (!PlainExecRan(op, r, counters_.receipt_rechecks)) return;
  bool failed = false;
  for (size_t i = 0; i < c.xadd_at.size(); ++i) {
    const size_t at = c.xadd_at[i];
    if (at == SIZE_MAX || (at < r->elements && r->element[at]->type != REDIS_REPLY_ERROR)) {
      continue;
    }
    failed = true;
    if (at < r->elements) {
      spdlog::error("redis: receipt (plain) XADD: {} (retrying)",
                    Untrusted(ReplyString(r->element[at]), kLogMessageMax));
    }
    // The state was noted without its receipt: the record goes back as step 1 read it.
    writer_.Command({"SET", op->keys[op->receipts[i].first], c.values[i], "XX", "KEEPTTL"},
                    [](redisReply*) {});
  }
  if (failed) {
    Requeue(op, true);
    return;
  }
  write_backoff_.Reset();
  Replicated(op, [op, codes = c.codes] { op->receipts_done(codes); });
  MaybeFinishClose();
}

}  // namespace sd::redis
