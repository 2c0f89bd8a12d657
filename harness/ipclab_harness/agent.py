"""The harness's hands inside a sandbox.

Runs as the sandbox's first process after bubblewrap's init, as the student's uid, and does
what a check asks over a Unix socket (fd 3): start student programs (passing their pipes back
to the trusted side), report their exits, read /proc/sysvipc, prepare segments. It decides
nothing: the checks, their verdicts and the results live outside the sandbox.

Protocol: one JSON object per line each way. A request {"id", "op", ...} gets exactly one
reply {"id", "ok", ...}; "spawn" replies carry three file descriptors (stdin, stdout, stderr)
as SCM_RIGHTS. Unrequested {"event": "exit", "pid", "status"} lines report exits.
"""
import ctypes
import json
import os
import resource
import selectors
import signal
import socket
import sys

sys.path.append("/usr/lib/python3/dist-packages")


class _LazySysvIpc:
    """sysv_ipc, imported on first use: most checks never prepare a segment, and every
    millisecond of start-up is paid once per check."""

    def __getattr__(self, name):
        import sysv_ipc as real
        globals()["sysv_ipc"] = real
        return getattr(real, name)


sysv_ipc = _LazySysvIpc()

libc = ctypes.CDLL(None, use_errno=True)
libc.shmget.restype = ctypes.c_int
libc.shmget.argtypes = (ctypes.c_int, ctypes.c_size_t, ctypes.c_int)
libc.semget.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int)
# semctl's fourth argument is a union semun passed by value; on Linux ABIs a pointer-sized
# argument is passed the same way, so the array pointer goes through as is.
libc.semctl.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p)
libc.msgget.argtypes = (ctypes.c_int, ctypes.c_int)
libc.msgctl.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_void_p)
libc.msgsnd.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
libc.msgrcv.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_long, ctypes.c_int)
libc.msgrcv.restype = ctypes.c_ssize_t
IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_RMID = 0o1000, 0o2000, 0o4000, 0
GETALL, SETALL = 13, 17
PR_SET_DUMPABLE = 4

SOCK = socket.socket(fileno=int(sys.argv[1]) if len(sys.argv) > 1 else 3)
children = {}      # pid -> True while running
holds = {}         # handle -> sysv_ipc.SharedMemory attached by the harness
next_hold = [1]

LIMITS = {"cpu": resource.RLIMIT_CPU, "as": resource.RLIMIT_AS, "nproc": resource.RLIMIT_NPROC,
          "nofile": resource.RLIMIT_NOFILE, "fsize": resource.RLIMIT_FSIZE,
          "core": resource.RLIMIT_CORE}


def send(obj, fds=()):
    data = (json.dumps(obj) + "\n").encode()
    if fds:
        SOCK.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(
            __import__("array").array("i", fds)))])
    else:
        SOCK.sendall(data)


def spawn(req):
    argv, env, limits = req["argv"], req["env"], req.get("limits", {})
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    exec_r, exec_w = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(in_r, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            os.closerange(3, exec_w)
            os.closerange(exec_w + 1, 65536)
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for name, value in limits.items():
                resource.setrlimit(LIMITS[name], (value, value))
            os.chdir(req.get("cwd", "/work"))
            os.execve(argv[0], argv, env)
        except OSError as e:
            os.write(exec_w, str(e.errno or 1).encode())
        os._exit(127)
    for fd in (in_r, out_w, err_w, exec_w):
        os.close(fd)
    failure = os.read(exec_r, 16)
    os.close(exec_r)
    if failure:
        os.waitpid(pid, 0)
        for fd in (in_w, out_r, err_r):
            os.close(fd)
        return {"ok": False, "error": f"cannot start {argv[0]}: {os.strerror(int(failure))}"}
    children[pid] = True
    return {"ok": True, "pid": pid, "_fds": (in_w, out_r, err_r)}


def reap():
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if children.pop(pid, None):
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            send({"event": "exit", "pid": pid, "status": code,
                  "cpu": usage.ru_utime + usage.ru_stime})


def shm_create(req):
    mode = req.get("mode", 0o600) & 0o777
    data = bytes.fromhex(req.get("data", ""))
    create_mode = 0o600 if data else mode
    shmid = libc.shmget(req["key"], req["size"], IPC_CREAT | IPC_EXCL | create_mode)
    if shmid == -1:
        e = ctypes.get_errno()
        return {"ok": False, "error": f"shmget: {os.strerror(e)}", "errno": e}
    if data:
        # Content needs a read-write attach, so create 0600, write, then set the asked mode.
        mem = sysv_ipc.attach(shmid)
        mem.write(data)
        if mode != 0o600:
            mem.mode = mode
        mem.detach()
    return {"ok": True, "shmid": shmid}


def _fail(call):
    e = ctypes.get_errno()
    return {"ok": False, "error": f"{call}: {os.strerror(e)}", "errno": e}


def sem_create(req):
    values = req["values"]
    semid = libc.semget(req["key"], len(values), IPC_CREAT | IPC_EXCL | (req.get("mode", 0o600) & 0o777))
    if semid == -1:
        return _fail("semget")
    array = (ctypes.c_ushort * len(values))(*values)
    if libc.semctl(semid, 0, SETALL, ctypes.addressof(array)) == -1:
        return _fail("semctl")
    return {"ok": True, "semid": semid}


def sem_values(req):
    array = (ctypes.c_ushort * req["nsems"])()
    if libc.semctl(req["semid"], 0, GETALL, ctypes.addressof(array)) == -1:
        return _fail("semctl")
    return {"ok": True, "values": list(array)}


def msg_send(req):
    data = bytes.fromhex(req["data"])
    buf = ctypes.create_string_buffer(ctypes.sizeof(ctypes.c_long) + len(data))
    ctypes.c_long.from_buffer(buf).value = req["mtype"]
    ctypes.memmove(ctypes.addressof(buf) + ctypes.sizeof(ctypes.c_long), data, len(data))
    if libc.msgsnd(req["msqid"], buf, len(data), IPC_NOWAIT) == -1:
        return _fail("msgsnd")
    return {"ok": True}


def msg_receive(req):
    size = req.get("max_size", 8192)
    buf = ctypes.create_string_buffer(ctypes.sizeof(ctypes.c_long) + size)
    n = libc.msgrcv(req["msqid"], buf, size, req.get("mtype", 0), IPC_NOWAIT)
    if n == -1:
        if ctypes.get_errno() == 42:  # ENOMSG: nothing of that type now
            return {"ok": True, "message": None}
        return _fail("msgrcv")
    mtype = ctypes.c_long.from_buffer(buf).value
    return {"ok": True, "message": [mtype, buf.raw[ctypes.sizeof(ctypes.c_long):][:n].hex()]}


def handle(req):
    op = req["op"]
    if op == "spawn":
        return spawn(req)
    if op == "kill":
        try:
            os.kill(req["pid"], req["sig"])
        except ProcessLookupError:
            pass
        return {"ok": True}
    if op == "read":
        path = req["path"]
        if not path.startswith("/proc/sysvipc/"):
            return {"ok": False, "error": "only /proc/sysvipc can be read"}
        with open(path) as f:
            return {"ok": True, "text": f.read()}
    if op == "stat":
        st = os.stat(req["path"])
        return {"ok": True, "ino": st.st_ino, "dev": st.st_dev}
    if op == "shm_create":
        return shm_create(req)
    if op == "hold":
        mem = sysv_ipc.attach(req["shmid"], flags=sysv_ipc.SHM_RDONLY if req.get("readonly") else 0)
        handle_id = next_hold[0]
        next_hold[0] += 1
        # Not inherited by the programs the agent forks: a fork would count as an attach
        # (atime, lpid) and their execve as a detach (dtime, lpid) of a segment they never used.
        libc.madvise(ctypes.c_void_p(mem.address), ctypes.c_size_t(mem.size), 10)  # MADV_DONTFORK
        holds[handle_id] = mem
        return {"ok": True, "handle": handle_id}
    if op == "release":
        holds.pop(req["handle"]).detach()
        return {"ok": True}
    if op == "read_shm":
        mem = sysv_ipc.attach(req["shmid"], flags=sysv_ipc.SHM_RDONLY)
        try:
            return {"ok": True, "data": mem.read(req["size"], req.get("offset", 0)).hex()}
        finally:
            mem.detach()
    if op == "remove_shm":
        sysv_ipc.remove_shared_memory(req["shmid"])
        return {"ok": True}
    if op == "sem_create":
        return sem_create(req)
    if op == "sem_values":
        return sem_values(req)
    if op == "remove_sem":
        return {"ok": True} if libc.semctl(req["semid"], 0, IPC_RMID, None) != -1 else _fail("semctl")
    if op == "msg_create":
        msqid = libc.msgget(req["key"], IPC_CREAT | IPC_EXCL | (req.get("mode", 0o600) & 0o777))
        return {"ok": True, "msqid": msqid} if msqid != -1 else _fail("msgget")
    if op == "msg_send":
        return msg_send(req)
    if op == "msg_receive":
        return msg_receive(req)
    if op == "remove_msg":
        return {"ok": True} if libc.msgctl(req["msqid"], IPC_RMID, None) != -1 else _fail("msgctl")
    return {"ok": False, "error": f"unknown op {op}"}


def main():
    # Student programs run as this uid too: not dumpable means they cannot ptrace this process
    # or read its memory, so they cannot make the harness report what it did not see.
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    sel = selectors.DefaultSelector()
    sel.register(SOCK, selectors.EVENT_READ)
    sel.register(wake_r, selectors.EVENT_READ)
    buf = b""
    send({"event": "ready", "pid": os.getpid()})
    while True:
        for key, _ in sel.select():
            if key.fileobj == wake_r:
                try:
                    os.read(wake_r, 512)
                except BlockingIOError:
                    pass
                reap()
                continue
            chunk = SOCK.recv(65536)
            if not chunk:
                return  # the trusted side is gone: so is the sandbox
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                req = json.loads(line)
                try:
                    reply = handle(req)
                except (OSError, KeyError, ValueError) as e:
                    reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
                except Exception as e:  # sysv_ipc.Error and kin
                    reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
                fds = reply.pop("_fds", ())
                reply["id"] = req["id"]
                send(reply, fds)
                for fd in fds:
                    os.close(fd)
        reap()


if __name__ == "__main__":
    main()
