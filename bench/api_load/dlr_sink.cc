// dlr-sink: the producers' receipt endpoint for Kannel in scripts/bench_api.sh. Kannel hands a
// delivery report to its producer by fetching the message's dlr-url; this answers every such
// request 200 on loopback (plain HTTP, keep-alive) and counts them, so the benchmark knows
// when every report has arrived. smsdispatchd's side of the same work is a receipt written to
// Redis, which the producer reads. Writes the count to --count-file every 100 ms, and the port
// it listens on to --port-file once ready; runs until SIGTERM or SIGINT.
#include <uv.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <string>

#include "adapters/http/http_server.h"
#include "adapters/loop/uv_kit.h"
#include "bench/process/text_file.h"

namespace {

struct Sink {
  uint64_t requests = 0;
  std::string count_file;
  uv_timer_t timer;
  uv_signal_t term, intr;
  sd::http::HttpServer* server = nullptr;

  void WriteCount() const {
    const std::string tmp = count_file + ".tmp";
    if (sd::process::WriteTextFile(tmp, std::to_string(requests) + "\n", 0644)) {
      std::rename(tmp.c_str(), count_file.c_str());
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string port_file;
  Sink sink;
  CLI::App app{"dlr-sink: answers every HTTP request 200 and counts them"};
  app.add_option("--port-file", port_file, "where to write the port once listening")->required();
  app.add_option("--count-file", sink.count_file, "where to keep the request count")->required();
  CLI11_PARSE(app, argc, argv);
  signal(SIGPIPE, SIG_IGN);
  uv_loop_t* loop = uv_default_loop();
  sd::http::HttpServerOptions o;
  o.max_connections = 1024;
  sd::http::HttpServer server(loop, o, [&sink](sd::http::HttpServerRequest, auto respond) {
    ++sink.requests;
    sd::http::HttpServerResponse r;
    r.content_type = "text/plain";
    r.body = "ok";
    respond(std::move(r));
  });
  sink.server = &server;
  if (server.Listen() != 0) {
    fprintf(stderr, "dlr-sink: %s\n", server.error().c_str());
    return 1;
  }
  if (!sd::process::WriteTextFile(port_file, std::to_string(server.port()) + "\n", 0644)) {
    fprintf(stderr, "dlr-sink: cannot write %s\n", port_file.c_str());
    return 1;
  }
  sink.WriteCount();
  uv_timer_init(loop, &sink.timer);
  sink.timer.data = &sink;
  uv_timer_start(
      &sink.timer, [](uv_timer_t* t) { static_cast<Sink*>(t->data)->WriteCount(); }, 100, 100);
  const auto stop = [](uv_signal_t* s, int) {
    auto* k = static_cast<Sink*>(s->data);
    k->WriteCount();
    sd::loop::CloseAll(
        {sd::loop::AsHandle(&k->timer), sd::loop::AsHandle(&k->term), sd::loop::AsHandle(&k->intr)},
        [] {});
    k->server->Close([] {});
  };
  for (uv_signal_t* h : {&sink.term, &sink.intr}) {
    uv_signal_init(loop, h);
    h->data = &sink;
  }
  uv_signal_start(&sink.term, stop, SIGTERM);
  uv_signal_start(&sink.intr, stop, SIGINT);
  uv_run(loop, UV_RUN_DEFAULT);
  return 0;
}
