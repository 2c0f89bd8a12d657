// The functions of mq_chat.hpp the unit tests call in the worker (lab/include/ipclab/remote.hpp).
// Request travels as its bytes (receive_request's out-parameter comes back whole); run_server's
// ready() runs in the test program, while the worker waits. wait_until_taken is the lab's own
// inline code, not the student's: it needs no proxy.
#include "mq_chat.hpp"
#include "ipclab/remote.hpp"

IPCLAB_REMOTE(send_request, void, (int msqid, pid_t pid, const std::string& text),
              (msqid, pid, text))
IPCLAB_REMOTE(receive_reply, std::string, (int msqid, pid_t pid), (msqid, pid))
IPCLAB_REMOTE(ask, std::string, (key_t key, const std::string& text), (key, text))
IPCLAB_REMOTE(receive_request, bool, (int msqid, Request& req), (msqid, req))
IPCLAB_REMOTE(send_reply, void, (int msqid, pid_t pid, const std::string& text), (msqid, pid, text))
IPCLAB_REMOTE(run_server, void, (key_t key, const std::function<void()>& ready), (key, ready))
