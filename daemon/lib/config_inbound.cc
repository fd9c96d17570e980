#include <toml++/toml.h>

#include "daemon/lib/config.h"
#include "daemon/lib/config_sections.h"

// [inbound]: what recipients send (docs/inbound.md). On unless the section says otherwise:
// a message a carrier hands us that we do not keep is lost for good once it is answered.
namespace sd::config_detail {

void LoadInbound(const toml::table& root, Problems& p, Config& c) {
  const toml::node* n = root.get("inbound");
  if (n == nullptr) return;
  if (!n->is_table()) {
    p.At(*n, "inbound must be a table: write [inbound]");
    return;
  }
  Section s(*n->as_table(), "inbound", p);
  auto& in = c.inbound;
  in.enabled = s.Bool("enabled", in.enabled);
  in.stream = s.Str("stream", in.stream, {.non_empty = true});
  in.maxlen = s.Int("maxlen", in.maxlen, 0, 1'000'000'000);
  in.part_timeout_ms = s.Int("part_timeout_s", in.part_timeout_ms / 1000, 1, 86'400) * 1000;
  in.dedupe_window_ms = s.Int("dedupe_window_s", in.dedupe_window_ms / 1000, 0, 86'400) * 1000;
  in.max_queued =
      static_cast<size_t>(s.Int("max_queued", static_cast<int64_t>(in.max_queued), 1, 10'000'000));
  s.RefuseUnknown();
}

}  // namespace sd::config_detail
