#pragma once
// A free TCP port on 127.0.0.1 at the time of the call (bind port 0, read it, close). Another
// process may take it before it is used: callers retry on collision.
namespace sd::process {

int PickFreeLoopbackPort();

}  // namespace sd::process
