// smsc-sim: a real SMPP 3.4 SMSC on libuv for the demo, the tests and the benchmark
// (docs/simulator.md). This file is the program: options, TLS, signals and the port file that
// tells tests it is ready; the SMSC itself is the Smsc class (smsc.h).
#include <uv.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "adapters/loop/uv_kit.h"
#include "adapters/net/tls_context.h"
#include "bench/smsc_sim/message_log.h"
#include "bench/smsc_sim/sim_options.h"
#include "bench/smsc_sim/smsc.h"

namespace {

using sd::smsc_sim::Options;
using sd::smsc_sim::Smsc;

// The server's context: every file is read and checked now, so a bad path stops the simulator
// at start. Null without --tls-cert.
std::shared_ptr<const sd::net::TlsContext> ServerTls(const Options& o, std::string* error) {
  if (o.tls_cert.empty()) return nullptr;
  sd::net::TlsConfig tls;
  tls.role = sd::net::TlsRole::kServer;
  tls.cert_file = o.tls_cert;
  tls.key_file = o.tls_key;
  tls.ca_file = o.tls_client_ca;
  tls.require_client_cert = !o.tls_client_ca.empty();
  auto ctx = sd::net::TlsContext::Create(tls);
  if (!ctx.ok()) {
    *error = ctx.error().detail;
    return nullptr;
  }
  return std::move(ctx).value();
}

bool WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  FILE* f = fopen(tmp.c_str(), "w");
  if (f == nullptr) return false;
  fprintf(f, "%d\n", port);
  if (fclose(f) != 0) return false;
  return rename(tmp.c_str(), path.c_str()) == 0;
}

// SIGTERM and SIGINT stop the simulator; SIGUSR1 writes the stats file now (tests read exact
// counters without waiting a period); SIGUSR2 sends the --mo-file's messages.
class Signals {
 public:
  Signals(uv_loop_t* loop, Smsc& smsc) : smsc_(smsc) {
    for (uv_signal_t* s : {&term_, &intr_, &usr1_, &usr2_}) {
      uv_signal_init(loop, s);
      s->data = this;
    }
    const auto stop = [](uv_signal_t* s, int) { static_cast<Signals*>(s->data)->Stop(); };
    uv_signal_start(&term_, stop, SIGTERM);
    uv_signal_start(&intr_, stop, SIGINT);
    uv_signal_start(
        &usr1_, [](uv_signal_t* s, int) { static_cast<Signals*>(s->data)->smsc_.WriteStats(); },
        SIGUSR1);
    uv_signal_start(
        &usr2_, [](uv_signal_t* s, int) { static_cast<Signals*>(s->data)->smsc_.InjectMo(); },
        SIGUSR2);
  }
  // Stops the simulator and closes the signal handles, so the loop can end.
  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    smsc_.Stop();
    sd::loop::CloseAll({sd::loop::AsHandle(&term_), sd::loop::AsHandle(&intr_),
                        sd::loop::AsHandle(&usr1_), sd::loop::AsHandle(&usr2_)},
                       nullptr);
  }

 private:
  Smsc& smsc_;
  uv_signal_t term_, intr_, usr1_, usr2_;
  bool stopped_ = false;
};

// Runs the loop until every handle is closed; 1 when some were left open.
int Finish(uv_loop_t* loop) {
  uv_run(loop, UV_RUN_DEFAULT);
  if (uv_loop_close(loop) != 0) {
    fprintf(stderr, "smsc-sim: handles left open at exit\n");
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (const int rc = sd::smsc_sim::ParseOptions(argc, argv, &opt); rc >= 0) return rc;
  sd::smsc_sim::MessageLog messages;
  if (!opt.messages_file.empty()) {
    if (const std::string err = messages.Open(opt.messages_file); !err.empty()) {
      fprintf(stderr, "smsc-sim: %s\n", err.c_str());
      return 1;
    }
  }
  std::string tls_error;
  std::shared_ptr<const sd::net::TlsContext> tls = ServerTls(opt, &tls_error);
  if (!tls_error.empty()) {
    fprintf(stderr, "smsc-sim: TLS: %s\n", tls_error.c_str());
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);

  uv_loop_t* loop = uv_default_loop();
  Smsc smsc(loop, opt, tls, messages);
  Signals signals(loop, smsc);
  const int port = smsc.Listen();
  if (port < 0) {
    signals.Stop();
    Finish(loop);
    return 1;
  }
  // Signals are handled from here on, so the port file is the "ready" mark for tests.
  if (!opt.port_file.empty() && !WritePortFile(opt.port_file, port)) {
    fprintf(stderr, "smsc-sim: cannot write %s: %s\n", opt.port_file.c_str(), strerror(errno));
    signals.Stop();
    Finish(loop);
    return 1;
  }
  smsc.WriteStats();
  fprintf(stderr, "smsc-sim: listening on %s:%d as '%s'%s\n", opt.host.c_str(), port,
          opt.system_id.c_str(),
          !tls                        ? ""
          : opt.tls_client_ca.empty() ? " (TLS)"
                                      : " (TLS, client certificates required)");
  const int rc = Finish(loop);
  smsc.WriteStats();
  return rc;
}
