// 07-msgqueue — Colas de mensajes: cliente y servidor. Lee README.md (o README.en.md) antes de empezar.
#include "mq_chat.hpp"

#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>

#include "ipclab/error.hpp"

void send_request(int msqid, pid_t pid, const std::string& text) {
    // TODO: rellena un Request req{} con mtype = kRequestType (1; nunca 0: msgsnd da EINVAL),
    //       pid = pid y el texto copiado en req.text terminado en '\0'.
    // TODO: envíalo con msgsnd(msqid, &req, kRequestSize, 0). El tamaño cuenta SOLO lo que va
    //       detrás de mtype: kRequestSize, no sizeof(req).
    // TODO: si msgsnd devuelve -1 con errno == EINTR (una señal lo interrumpió), repite;
    //       con otro error, lanza ipclab::SysError("msgsnd").
    (void)msqid;
    (void)pid;
    (void)text;
}

std::string receive_reply(int msqid, pid_t pid) {
    // TODO: espera la respuesta con msgrcv(msqid, &reply, kReplySize, pid, 0): msgtyp = pid
    //       toma solo la respuesta dirigida a este cliente (con 0 tomarías la de otro).
    // TODO: repite si errno == EINTR; si no, lanza ipclab::SysError("msgrcv") (EIDRM si la
    //       cola se borró mientras esperabas).
    // TODO: devuelve reply.text (asegura el '\0' final antes).
    (void)msqid;
    (void)pid;
    return "";
}

std::string ask(key_t key, const std::string& text) {
    // TODO: busca la cola del servidor con msgget(key, 0): sin IPC_CREAT, el cliente nunca la
    //       crea. Si no existe (-1, ENOENT), lanza ipclab::SysError("msgget").
    // TODO: send_request con tu propio pid (getpid()) y devuelve receive_reply con ese pid.
    (void)key;
    (void)text;
    return "";
}

bool receive_request(int msqid, Request& req) {
    // TODO: req = Request{}; y espera una petición con
    //       ssize_t n = msgrcv(msqid, &req, kRequestSize, kRequestType, 0);
    //       repite si errno == EINTR; con otro error lanza ipclab::SysError("msgrcv").
    // TODO: asegura req.text[kTextMax - 1] = '\0'.
    // TODO: devuelve false si la petición está mal formada (n != kRequestSize o req.pid <= 0):
    //       no se le puede responder. Si no, true.
    (void)msqid;
    (void)req;
    return false;
}

void send_reply(int msqid, pid_t pid, const std::string& text) {
    // TODO: rellena un Reply reply{} con mtype = pid (¡no 1!: el cliente espera su pid) y el
    //       texto terminado en '\0'; envíalo con msgsnd(msqid, &reply, kReplySize, 0).
    // TODO: repite si errno == EINTR; con otro error lanza ipclab::SysError("msgsnd").
    (void)msqid;
    (void)pid;
    (void)text;
}

void run_server(key_t key, const std::function<void()>& ready) {
    // TODO: crea la cola con msgget(key, IPC_CREAT | IPC_EXCL | 0600) (0600, nunca 0777 ni
    //       0666; IPC_EXCL para que un segundo servidor falle con EEXIST). Si falla, lanza
    //       ipclab::SysError("msgget").
    // TODO: llama a ready() (el programa imprime "ready").
    // TODO: bucle: receive_request; si da false, ignórala; si el texto es "quit", responde
    //       "bye" y sal del bucle; si no, responde el texto en mayúsculas (std::toupper de
    //       cada byte como unsigned char).
    // TODO: espera con wait_until_taken(id) a que el "bye" se haya recogido y borra la cola con
    //       msgctl(id, IPC_RMID, nullptr) (-1 -> ipclab::SysError("msgctl")). Bórrala también
    //       si algo lanza una excepción: una clase con destructor que llame a msgctl lo asegura.
    (void)key;
    (void)ready;
}
