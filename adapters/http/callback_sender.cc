#include "adapters/http/callback_sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "adapters/http/callback_event.h"
#include "adapters/http/webhook_auth.h"
#include "adapters/loop/uv_kit.h"
#include "core/log_safe.h"

namespace sd::http {
namespace {

bool Delivered(const HttpResponse& r) {
  return r.error == TransportError::kNone && r.status >= 200 && r.status < 300;
}

// What went wrong, for the dead-letter entry and the log: "HTTP 500" or the transport error.
std::string Problem(const HttpResponse& r) {
  if (r.error != TransportError::kNone) return TransportErrorName(r.error);
  return "HTTP " + std::to_string(r.status);
}

// Retry-After in seconds (the HTTP-date form is not honoured: the backoff applies), 0 if none.
int64_t RetryAfterMs(const HttpResponse& r) {
  const std::string& v = r.Header("retry-after");
  int64_t s = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), s);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size() || s < 0) return 0;
  return std::min<int64_t>(s, 86'400) * 1000;
}

}  // namespace

CallbackSender::CallbackSender(uv_loop_t* loop, StatusEntryQueue* queue, Keys keys,
                               const Clock* clock, CallbackSenderOptions options)
    : loop_(loop),
      queue_(queue),
      keys_(std::move(keys)),
      clock_(clock),
      options_(std::move(options)),
      curl_(loop, options_.client),
      rng_(std::random_device{}()) {
  uv_timer_init(loop_, &wake_);
  uv_timer_init(loop_, &keep_);
  wake_.data = this;
  keep_.data = this;
}

CallbackSender::~CallbackSender() = default;

void CallbackSender::Start() {
  const auto interval = static_cast<uint64_t>(options_.keep_interval_ms);
  uv_timer_start(
      &keep_, [](uv_timer_t* t) { static_cast<CallbackSender*>(t->data)->KeepHeld(); }, interval,
      interval);
  ReadMore();
}

void CallbackSender::Close(std::function<void()> done) {
  closed_ = true;
  uv_timer_stop(&wake_);
  uv_timer_stop(&keep_);
  curl_.Close([this, done = std::move(done)]() mutable {
    loop::CloseAll({loop::AsHandle(&wake_), loop::AsHandle(&keep_)}, std::move(done));
  });
}

void CallbackSender::ReadMore() {
  if (closed_ || reading_ || held_ids_.size() >= options_.max_held) return;
  reading_ = true;
  const size_t room = std::min(options_.read_batch, options_.max_held - held_ids_.size());
  queue_->Read(room, [this](std::vector<StatusEntry> got) { OnEntries(std::move(got)); });
}

void CallbackSender::OnEntries(std::vector<StatusEntry> entries) {
  reading_ = false;
  if (closed_) return;  // left pending on Redis: delivered after the next start
  const std::shared_ptr<const KeyRegistrySnapshot> keys = keys_();
  if (!keys) {  // no registry loaded: nothing can be decided; the claim of idle entries
    ReadMore();  // brings these back once it is (never acknowledged unsent)
    return;
  }
  for (StatusEntry& e : entries) {
    ++counters_.events;
    std::string event_id = CallbackEventId(e);
    if (held_ids_.count(event_id) != 0) continue;  // held already (claimed back while held)
    const std::string_view kid = CallbackKeyId(e);
    const RegisteredKey* key = kid.empty() ? nullptr : keys->Find(kid);
    if (key == nullptr || key->record.callback_url.empty()) {
      ++counters_.skipped;
      queue_->Ack(e);
      continue;
    }
    Target& t = targets_.try_emplace(key->record.callback_url, options_).first->second;
    if (t.ready.size() + t.in_flight >= options_.max_held_per_target) {
      ++counters_.parked;  // pending on Redis, unacknowledged: back through the idle claim
      continue;
    }
    auto h = std::make_unique<Held>();
    h->kid = std::string(kid);
    h->body = CallbackBody(e);
    h->written_ms = EntryTimeMs(e.id).value_or(clock_->NowMs());
    h->event_id = std::move(event_id);
    h->entry = std::move(e);
    held_ids_.insert(h->event_id);
    t.ready.push_back(std::move(h));
  }
  Pump();
  ReadMore();
}

// One request per ready URL per round, until the limits are reached: a URL with a backlog
// does not hold up the others.
void CallbackSender::Pump() {
  if (closed_) return;
  const uint64_t now = uv_now(loop_);
  bool progress = true;
  while (progress && in_flight_ < options_.max_in_flight) {
    progress = false;
    for (auto& [url, t] : targets_) {
      if (in_flight_ >= options_.max_in_flight) break;
      if (t.ready.empty() || t.paused_until > now || t.in_flight >= options_.max_per_target ||
          (t.failing && t.in_flight > 0)) {
        continue;
      }
      std::unique_ptr<Held> h = std::move(t.ready.front());
      t.ready.pop_front();
      Attempt(url, t, std::move(h));
      progress = true;
    }
  }
  std::erase_if(targets_, [](const auto& kv) {
    return kv.second.ready.empty() && kv.second.in_flight == 0 && !kv.second.failing;
  });
  ArmWake();
}

void CallbackSender::ArmWake() {
  // Only URLs waiting for their pause to end: one with a request in flight is pumped again
  // when its answer comes (a timer for it would fire at once, over and over).
  const uint64_t now = uv_now(loop_);
  uint64_t earliest = 0;
  for (const auto& [url, t] : targets_) {
    const bool waits_for_answer =
        t.in_flight >= options_.max_per_target || (t.failing && t.in_flight > 0);
    if (!t.ready.empty() && !waits_for_answer && t.paused_until > now &&
        (earliest == 0 || t.paused_until < earliest)) {
      earliest = t.paused_until;
    }
  }
  uv_timer_stop(&wake_);
  if (earliest == 0 || closed_) return;
  uv_timer_start(
      &wake_, [](uv_timer_t* t) { static_cast<CallbackSender*>(t->data)->Pump(); },
      earliest - now, 0);
}

void CallbackSender::Attempt(const std::string& url, Target& t, std::unique_ptr<Held> h) {
  // The key as it is now: a removed callback (or key) ends the event's delivery; a new URL or
  // secret applies from the next attempt on.
  const std::shared_ptr<const KeyRegistrySnapshot> keys = keys_();
  if (!keys) {  // as in OnEntries: let go unacknowledged, claimed back later
    Release(*h);
    return;
  }
  const RegisteredKey* key = keys->Find(h->kid);
  if (key == nullptr || key->record.callback_url.empty()) {
    ++counters_.skipped;
    queue_->Ack(h->entry);
    Release(*h);
    return;
  }
  const KeyRecord& rec = key->record;
  HttpRequest req;
  req.url = rec.callback_url;
  req.body = h->body;
  req.connect_timeout_ms = options_.connect_timeout_ms;
  req.total_timeout_ms = options_.timeout_ms;
  const int64_t now_s = clock_->NowMs() / 1000;
  WebhookAuth scheme;  // Standard Webhooks
  req.headers = SignWebhook(scheme, rec.callback_secrets.front(), req.body, h->event_id, now_s);
  for (size_t i = 1; i < rec.callback_secrets.size(); ++i) {  // a rotation: both sign
    req.headers.back().second +=
        " " + SignWebhook(scheme, rec.callback_secrets[i], req.body, h->event_id, now_s)
                  .back()
                  .second;
  }
  req.headers.emplace_back("content-type", "application/json");
  req.headers.emplace_back("user-agent", options_.user_agent);
  ++t.in_flight;
  ++in_flight_;
  ++counters_.attempts;
  ++h->attempts;
  Held* raw = h.get();
  flying_.emplace(raw, std::move(h));
  const bool sent = curl_.Send(std::move(req), [this, url, raw](HttpResponse r) {
    OnAnswer(url, raw, r);
  });
  if (!sent) {  // libcurl refused the request: a failure, handled without pumping (we are in Pump)
    HttpResponse r;
    r.error = TransportError::kOther;
    OnAnswer(url, raw, r, false);
  }
}

void CallbackSender::OnAnswer(const std::string& url, Held* raw, const HttpResponse& r,
                              bool pump) {
  auto it = flying_.find(raw);
  if (it == flying_.end()) return;
  std::unique_ptr<Held> h = std::move(it->second);
  flying_.erase(it);
  --in_flight_;
  Target& t = targets_.try_emplace(url, options_).first->second;
  --t.in_flight;
  if (Delivered(r)) {
    ++counters_.delivered;
    const auto lag = static_cast<uint64_t>(std::max<int64_t>(0, clock_->NowMs() - h->written_ms));
    counters_.lag_ms_sum += lag;
    counters_.lag_ms_max = std::max(counters_.lag_ms_max, lag);
    t.failing = false;
    t.paused_until = 0;
    t.backoff.Reset();
    queue_->Ack(h->entry);
    Release(*h);
  } else {
    Failed(t, std::move(h), r);
  }
  if (!pump) return;
  Pump();
  ReadMore();
}

void CallbackSender::Failed(Target& t, std::unique_ptr<Held> h, const HttpResponse& r) {
  ++counters_.failures;
  const std::string problem = Problem(r);
  if (t.backoff.ceiling_ms() == 0) {  // the first failure of a run: say so once
    spdlog::warn("callbacks: {} for key {} ({} attempts of {}); retrying with backoff", problem,
                 LogSafe(h->kid), h->attempts, h->event_id);
  }
  const int64_t delay =
      std::max(t.backoff.Next(rng_), std::min(RetryAfterMs(r), options_.retry_max_ms));
  t.failing = true;
  t.paused_until = uv_now(loop_) + static_cast<uint64_t>(delay);
  t.ready.push_front(std::move(h));
  DeadLetterExpired(t, problem);
}

// The URL failed just now: every event of it whose retry time is over goes to the dead-letter
// stream (those behind the head would have been retried as long, had they been first).
void CallbackSender::DeadLetterExpired(Target& t, const std::string& why) {
  const int64_t now = clock_->NowMs();
  for (auto it = t.ready.begin(); it != t.ready.end();) {
    if (now - (*it)->written_ms < options_.retry_for_ms) {
      ++it;
      continue;
    }
    std::shared_ptr<Held> h(std::move(*it));
    it = t.ready.erase(it);
    ++counters_.dead;
    const std::string reason = "not delivered within retry_for: last " + why + ", " +
                               std::to_string(h->attempts) + " attempts";
    spdlog::warn("callbacks: event {} of key {} dead-lettered ({})", h->event_id,
                 LogSafe(h->kid), reason);
    // Released either way: if the move failed, the entry is still pending on Redis and comes
    // back through the claim of idle entries.
    queue_->DeadLetter(h->entry, reason, [this, h](bool) { Release(*h); });
  }
}

void CallbackSender::Release(const Held& h) {
  held_ids_.erase(h.event_id);
  ReadMore();
}

void CallbackSender::KeepHeld() {
  std::vector<const StatusEntry*> held;
  held.reserve(held_ids_.size());
  for (const auto& [url, t] : targets_) {
    for (const auto& h : t.ready) held.push_back(&h->entry);
  }
  for (const auto& [raw, h] : flying_) held.push_back(&h->entry);
  if (!held.empty()) queue_->Keep(held);
}

}  // namespace sd::http
