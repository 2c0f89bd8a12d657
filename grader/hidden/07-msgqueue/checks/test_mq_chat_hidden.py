"""Hidden process checks of 07-msgqueue: messages the harness sends and receives itself, so the
exact sizes, the types and the malformed requests show."""
from ipclab_harness.check import excerpt, fail
from ipclab_harness.stderr_lines import has_stderr_line
from test_mq_chat import (
    PROJ,
    REPLY_SIZE,
    REQUEST_SIZE,
    ask,
    quit_server,
    request_bytes,
    start_server,
    text_of,
)


def request_of(lab, msqid, client):
    """The client's request (type 1), taken from the queue the harness made. Waited for only
    while the client runs: once it has exited, what it sent is in the queue already, so a
    client that ended without sending one (a skeleton) fails now, not at the deadline."""

    def sent():
        ended = not client.running()  # first: a request sent before the end is seen below
        return lab.receive_message(msqid, 1) or ("ended" if ended else None)

    req = lab.wait_for(sent, "no_request", section="client")
    if req == "ended":
        fail("no_request", section="client")
    return req


def wait_reply(lab, msqid, pid, section):
    """Waits for the reply of type `pid` (the harness's receive takes only that type)."""
    return lab.wait_for(
        lambda: lab.receive_message(msqid, pid), "no_reply", section=section, pid=pid
    )


# A request the harness sends gets a reply of mtype = its pid, measuring exactly kReplySize;
# a request mq_client sends measures exactly kRequestSize and carries the client's pid.
def test_injected_request(lab):
    server, q = start_server(lab)
    lab.send_message(q.msqid, 1, request_bytes(4242, "hola mundo"))
    mtype, data = wait_reply(lab, q.msqid, 4242, "sizes")
    if len(data) != REPLY_SIZE:
        fail("reply_size", section="sizes", want=REPLY_SIZE, got=len(data))
    if text_of(data) != "HOLA MUNDO":
        fail("reply_text", section="server", want="HOLA MUNDO", got=text_of(data))
    quit_server(lab, server)

    # Now the harness plays the server, to look at the client's request.
    lab.file("other")
    msqid = lab.make_queue(lab.key("other", PROJ))
    client = ask(lab, "que tal", path="other")
    req = request_of(lab, msqid, client)
    data = req[1]
    if len(data) != REQUEST_SIZE:
        fail("request_size", section="sizes", want=REQUEST_SIZE, got=len(data))
    pid = int.from_bytes(data[:4], "little", signed=True)
    if pid != client.pid or text_of(data[4:]) != "que tal":
        fail(
            "request_fields",
            section="client",
            pid=client.pid,
            got_pid=pid,
            got_text=text_of(data[4:]),
        )
    lab.send_message(msqid, client.pid, b"QUE TAL".ljust(REPLY_SIZE, b"\0"))
    lab.expect_exit(client, 0, section="client")
    lab.expect_stdout(client, ["QUE TAL"], section="client")
    lab.remove_queue(msqid)


# The client takes the reply of its own pid even when another client's reply comes first.
def test_client_takes_its_own_reply(lab):
    lab.file("data")
    msqid = lab.make_queue(lab.key("data", PROJ))
    client = ask(lab, "propia")
    request_of(lab, msqid, client)
    lab.send_message(msqid, client.pid + 1000, b"AJENA".ljust(REPLY_SIZE, b"\0"))
    lab.send_message(msqid, client.pid, b"PROPIA".ljust(REPLY_SIZE, b"\0"))
    status = client.wait(section="client")
    if client.stdout.strip() == "AJENA":
        fail("took_other_reply", section="client", got="AJENA")
    if status != 0 or client.stdout != "PROPIA\n":
        fail(
            "wrong_answer",
            section="client",
            text="propia",
            want="PROPIA",
            got=excerpt(client.stdout),
            how=lab.describe_status(status),
            stderr=excerpt(client.stderr),
        )
    lab.remove_queue(msqid)


# The server's queue has mode 0600 and is owned by the user who ran it.
def test_queue_mode_0600(lab):
    server, q = start_server(lab)
    if q.perms & 0o777 != 0o600:
        fail("wrong_mode", section="server", got=f"{q.perms & 0o777:04o}")
    quit_server(lab, server)


# Requests that cannot be answered (too short, pid <= 0) are skipped; a request larger than
# kRequestSize makes msgrcv fail (E2BIG): the server says so, removes its queue, exits 1.
def test_malformed_requests(lab):
    server, q = start_server(lab)
    lab.send_message(q.msqid, 1, b"\x05\x00\x00\x00hi")
    lab.send_message(q.msqid, 1, request_bytes(0, "pid cero"))
    lab.send_message(q.msqid, 1, request_bytes(4243, "bien"))
    mtype, data = wait_reply(lab, q.msqid, 4243, "server")
    if text_of(data) != "BIEN":
        fail("reply_text", section="server", want="BIEN", got=text_of(data))
    if not server.running():
        fail(
            "server_died",
            section="server",
            how=lab.describe_status(server.status),
            stderr=excerpt(server.stderr),
        )
    stray = lab.receive_message(q.msqid, 0)
    if stray is not None:
        fail("malformed_answered", section="server", got=stray[0])
    lab.send_message(q.msqid, 1, request_bytes(4244, "grande") + b"\0" * 8)
    status = server.wait(section="sizes")
    if status != 1 or not has_stderr_line(server, "msgrcv: Argument list too long"):
        fail(
            "oversized_accepted",
            section="sizes",
            size=REQUEST_SIZE + 8,
            how=lab.describe_status(status),
            stderr=excerpt(server.stderr),
        )
    if lab.queues():
        fail("queue_left_on_error", section="quit", ipcs=lab.ipcs_all())


# A reply that never comes: the client waits (no time limit of its own) until its queue is
# removed, then exits 1 with «msgrcv: …» and prints nothing — not even for «quit», whose «bye»
# never came. EIDRM when it was already waiting, EINVAL when the queue went first: the harness
# cannot tell which moment it removes it at, so both are right.
def test_reply_never_comes(lab):
    lab.file("data")
    for text in ("quit", "hola"):
        msqid = lab.make_queue(lab.key("data", PROJ))
        client = ask(lab, text)
        request_of(lab, msqid, client)
        if not client.running():
            fail(
                "client_gave_up",
                section="no_reply",
                text=text,
                how=lab.describe_status(client.status),
                stdout=excerpt(client.stdout),
                stderr=excerpt(client.stderr),
            )
        lab.remove_queue(msqid)
        status = client.wait(section="no_reply")
        errors = ("msgrcv: Identifier removed", "msgrcv: Invalid argument")
        said = has_stderr_line(client, errors)
        if status != 1 or client.stdout != "" or not said:
            fail(
                "no_reply_wrong_end",
                section="no_reply",
                text=text,
                how=lab.describe_status(status),
                stdout=excerpt(client.stdout),
                stderr=excerpt(client.stderr),
            )


# A «bye» nobody takes (the request came from pid 4242, which never receives): the server waits
# at most wait_until_taken's 2 s, then removes its queue anyway and exits 0.
def test_bye_never_taken(lab):
    server, q = start_server(lab)
    lab.send_message(q.msqid, 1, request_bytes(4242, "quit"))
    status = server.wait(timeout=6, section="bye_wait")
    if status != 0:
        fail(
            "bye_wait_wrong_end",
            section="bye_wait",
            how=lab.describe_status(status),
            stderr=excerpt(server.stderr),
        )
    lab.expect_stdout(server, ["ready"], section="bye_wait")
    if lab.queues():
        fail("queue_left", section="bye_wait", ipcs=lab.ipcs_all())
