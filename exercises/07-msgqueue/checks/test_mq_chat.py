"""Visible process checks of 07-msgqueue: mq_server and many mq_client at once."""
import struct

from ipclab_harness.check import CheckFailed, excerpt, fail
from ipclab_harness.stderr_lines import expect_stderr_line

PROJ = 77
TEXT_MAX = 256
REQUEST_SIZE = 264   # kRequestSize: pid (4) + text (256) + padding (4), not counting mtype
REPLY_SIZE = 256     # kReplySize: the text only


def request_bytes(pid, text):
    """A request's bytes after mtype, exactly as the lab's wire format lays them out."""
    return struct.pack("<i", pid) + text.encode().ljust(TEXT_MAX, b"\0") + b"\0" * 4


def text_of(data):
    return data.split(b"\0", 1)[0].decode(errors="replace")


def queue_of(lab, path, proj):
    key = lab.key(path, proj)
    for q in lab.queues():
        if q.key == key:
            return q
    return None


def start_server(lab, path="data", proj=PROJ, section="server"):
    """Starts mq_server, waits for its `ready` line and for its queue; returns (proc, queue)."""
    lab.file(path)
    server = lab.run("mq_server", path, proj)
    server.expect_line("ready", section=section)
    q = queue_of(lab, path, proj)
    if q is None:
        fail("no_queue", section=section, qkey=f"0x{lab.key(path, proj):08x}", ipcs=lab.ipcs_all())
    return server, q


def ask(lab, text, path="data", proj=PROJ):
    return lab.run("mq_client", path, proj, text)


def expect_answer(lab, client, want, section="client"):
    try:
        status = client.wait(section=section)
    except CheckFailed as e:
        if e.status != "timeout":
            raise
        fail("no_answer", section="sizes", text=client.argv[-1], stdout=excerpt(client.stdout),
             stderr=excerpt(client.stderr), _status="timeout")
    got = client.stdout
    if status != 0 or got != want + "\n":
        fail("wrong_answer", section=section, text=client.argv[-1], want=want,
             got=excerpt(got), how=lab.describe_status(status), stderr=excerpt(client.stderr))


def quit_server(lab, server, section="quit"):
    """Sends quit: the client prints bye, the server exits 0 having printed only `ready`."""
    expect_answer(lab, ask(lab, "quit"), "bye", section=section)
    lab.expect_exit(server, 0, section=section)
    lab.expect_stdout(server, ["ready"], section=section)


# Many clients at once: each gets the upper case of its own text, never another's.
def test_many_clients(lab):
    server, _ = start_server(lab)
    texts = [f"cliente {i} dice hola-{i * 7}" for i in range(12)]
    clients = [ask(lab, t) for t in texts]
    answers = {t.upper(): t for t in texts}
    for text, client in zip(texts, clients):
        status = client.wait(section="many")
        got = client.stdout.rstrip("\n")
        if status == 0 and got in answers and got != text.upper():
            fail("others_answer", section="many", text=text, got=got, other=answers[got])
    for text, client in zip(texts, clients):
        expect_answer(lab, client, text.upper(), section="many")
    quit_server(lab, server)


# "quit" is answered "bye"; then the server removes its queue and exits 0.
def test_quit_removes_queue(lab):
    server, q = start_server(lab)
    expect_answer(lab, ask(lab, "Hola, Mundo"), "HOLA, MUNDO")
    quit_server(lab, server)
    if lab.queues():
        fail("queue_left", section="quit", ipcs=lab.ipcs_all())


# A client with no server fails cleanly: msgget ENOENT, status 1, and no queue created.
def test_client_without_server(lab):
    lab.file("data")
    p = ask(lab, "hola")
    lab.expect_error(p, "msgget", section="errors")
    expect_stderr_line(p, "msgget: No such file or directory", "not_enoent", section="errors")
    lab.expect_stdout(p, [], section="errors")
    if lab.queues():
        fail("client_created", section="client", ipcs=lab.ipcs_all())


# A second server on the same key fails with «msgget: File exists»; the first keeps serving.
def test_server_twice(lab):
    server, q = start_server(lab)
    second = lab.run("mq_server", "data", PROJ)
    lab.expect_error(second, "msgget", section="errors")
    expect_stderr_line(second, "msgget: File exists", "not_eexist", section="errors")
    lab.expect_stdout(second, [], section="errors")
    if [x.msqid for x in lab.queues()] != [q.msqid]:
        fail("queue_replaced", section="errors", ipcs=lab.ipcs_all())
    expect_answer(lab, ask(lab, "sigo aqui"), "SIGO AQUI")
    quit_server(lab, server)


# Wrong arguments: status 2 and a usage line; nothing is created.
def test_usage_errors(lab):
    lab.file("data")
    cases = [("mq_server", []), ("mq_server", ["data"]), ("mq_server", ["data", 0]),
             ("mq_server", ["data", 256]), ("mq_server", ["data", PROJ, "x"]),
             ("mq_client", ["data", PROJ]), ("mq_client", ["data", "abc", "hola"]),
             ("mq_client", ["data", PROJ, "a", "b"]), ("mq_client", ["data", PROJ, "x" * 256])]
    for binary, args in cases:
        lab.expect_usage(lab.run(binary, *args), section="usage")
        if lab.queues():
            fail("usage_created", section="usage", args=" ".join([binary, *map(str, args)]),
                 ipcs=lab.ipcs_all())
    server, _ = start_server(lab)
    expect_answer(lab, ask(lab, "y" * 255), "Y" * 255, section="usage")
    quit_server(lab, server)


# Only the text exactly «quit» ends the server: QUIT, Quit, «quit » and « quit» are ordinary
# texts, answered in upper case, and the server goes on serving.
def test_quit_is_exact(lab):
    server, _ = start_server(lab)
    for text in ("QUIT", "Quit", "quit ", " quit", "quit\tnow"):
        client = ask(lab, text)
        status = client.wait(section="quit_exact")
        if not server.running() or (status == 0 and client.stdout == "bye\n"):
            fail("quit_not_exact", section="quit_exact", text=text, got=excerpt(client.stdout),
                 how=lab.describe_status(server.status) if not server.running() else "running")
        expect_answer(lab, client, text.upper(), section="quit_exact")
    quit_server(lab, server)


# Upper case is ASCII only: the bytes of UTF-8 text (ñ, ú, ü, ß) stay as they are, although the
# programs run in a UTF-8 locale (LANG=LC_ALL=C.UTF-8).
def test_ascii_upper_case(lab):
    server, q = start_server(lab)
    for text, want in (("ñandú über straße", "ñANDú üBER STRAßE"), ("çà ÿ 7z", "çà ÿ 7Z")):
        client = ask(lab, text)
        status = client.wait(section="ascii")
        if status != 0 or client.stdout != want + "\n":
            fail("not_ascii_upper", section="ascii", text=text, want=want,
                 got=excerpt(client.stdout), how=lab.describe_status(status),
                 stderr=excerpt(client.stderr))
    # Bytes that are no UTF-8 at all (Latin-1 é, ñ) stay as they are too.
    lab.send_message(q.msqid, 1, struct.pack("<i", 4321) + b"caf\xe9 a\xf1o".ljust(TEXT_MAX, b"\0")
                     + b"\0" * 4)
    reply = lab.wait_for(lambda: lab.receive_message(q.msqid, 4321), "no_reply_ascii",
                         section="ascii", pid=4321)
    got = reply[1].split(b"\0", 1)[0]
    if got != b"CAF\xe9 A\xf1O":
        fail("not_ascii_upper", section="ascii", text="caf\\xe9 a\\xf1o", want="CAF\\xe9 A\\xf1O",
             got=repr(got)[2:-1], how="exit 0", stderr="∅")
    quit_server(lab, server)
