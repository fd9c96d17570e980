// http-sim: the HTTP carrier simulator (docs/simulator.md, "http-sim"). Listens, writes the
// port file once ready, serves until SIGTERM/SIGINT, writes the stats file on SIGUSR1 and at
// exit.
#include <uv.h>

#include <csignal>
#include <cstdio>

#include "bench/http_sim/http_sim.h"
#include "bench/process/text_file.h"

namespace {

struct Program {
  sd::http_sim::HttpSim* sim = nullptr;
  std::string stats_file;
  uv_signal_t term, intr, usr1;
  bool stopping = false;

  void WriteStats() const {
    if (stats_file.empty()) return;
    const std::string tmp = stats_file + ".tmp";
    if (sd::process::WriteTextFile(tmp, sim->StatsJson() + "\n", 0644)) {
      std::rename(tmp.c_str(), stats_file.c_str());
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  auto options = sd::http_sim::ParseOptions(argc, argv, &exit_code);
  if (!options) return exit_code;
  signal(SIGPIPE, SIG_IGN);
  uv_loop_t* loop = uv_default_loop();
  Program program;
  program.stats_file = options->stats_file;
  const std::string port_file = options->port_file;
  sd::http_sim::HttpSim sim(loop, std::move(*options));
  program.sim = &sim;
  if (sim.Start() != 0) {
    fprintf(stderr, "http-sim: %s\n", sim.error().c_str());
    bool closed = false;
    sim.Close([&] { closed = true; });
    uv_run(loop, UV_RUN_DEFAULT);
    return 1;
  }
  const auto stop = [](uv_signal_t* s, int) {
    auto* p = static_cast<Program*>(s->data);
    if (p->stopping) return;
    p->stopping = true;
    p->WriteStats();
    for (uv_signal_t* h : {&p->term, &p->intr, &p->usr1}) {
      uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
    }
    p->sim->Close([] {});
  };
  for (uv_signal_t* h : {&program.term, &program.intr, &program.usr1}) {
    uv_signal_init(loop, h);
    h->data = &program;
  }
  uv_signal_start(&program.term, stop, SIGTERM);
  uv_signal_start(&program.intr, stop, SIGINT);
  uv_signal_start(
      &program.usr1, [](uv_signal_t* s, int) { static_cast<Program*>(s->data)->WriteStats(); },
      SIGUSR1);
  if (!port_file.empty()) {
    const std::string tmp = port_file + ".tmp";
    if (!sd::process::WriteTextFile(tmp, std::to_string(sim.port()) + "\n", 0644) ||
        std::rename(tmp.c_str(), port_file.c_str()) != 0) {
      fprintf(stderr, "http-sim: cannot write %s\n", port_file.c_str());
    }
  }
  fprintf(stderr, "http-sim: listening on port %d\n", sim.port());
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  return 0;
}
