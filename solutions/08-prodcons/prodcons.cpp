// 08-prodcons — reference solution.
#include "prodcons.hpp"

#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <cerrno>
#include <string>

#include "ipclab/error.hpp"

namespace {

// semctl(2): the caller defines it; passed BY VALUE.
union semun {
    int val;
    struct semid_ds* buf;
    unsigned short* array;
};

// One attachment; the destructor detaches, so no path out of produce/consume leaves nattch up.
class Attachment {
public:
    explicit Attachment(int shmid) : addr_(shmat(shmid, nullptr, 0)) {
        if (addr_ == reinterpret_cast<void*>(-1)) throw ipclab::SysError("shmat");
    }
    Attachment(const Attachment&) = delete;
    Attachment& operator=(const Attachment&) = delete;
    ~Attachment() {
        if (addr_ != nullptr) shmdt(addr_);
    }

    std::int32_t* arreglo() const { return static_cast<std::int32_t*>(addr_); }

    void detach() {
        void* addr = addr_;
        addr_ = nullptr;
        if (shmdt(addr) == -1) throw ipclab::SysError("shmdt");
    }

private:
    void* addr_;
};

// An IPC object this process just created, removed again unless keep() is called: a failed init
// leaves nothing behind.
class Created {
public:
    Created(int id, bool semaphore) : id_(id), semaphore_(semaphore) {}
    Created(const Created&) = delete;
    Created& operator=(const Created&) = delete;
    ~Created() {
        if (id_ == -1) return;
        if (semaphore_)
            semctl(id_, 0, IPC_RMID);
        else
            shmctl(id_, IPC_RMID, nullptr);
    }
    void keep() { id_ = -1; }

private:
    int id_;
    bool semaphore_;
};

void change(int semid, unsigned short num, short delta, short flags) {
    sembuf op{};
    op.sem_num = num;
    op.sem_op = delta;
    op.sem_flg = flags;
    // A signal handler interrupts a blocked semop with EINTR: the wait is not over, go on waiting.
    while (semop(semid, &op, 1) == -1) {
        if (errno != EINTR) throw ipclab::SysError("semop");
    }
}

// Only the mutex is undone at exit: a unit of empty or full taken by one process is given back by
// another, so undoing it when the first one exits would count a slot or an item twice.
void P(int semid, unsigned short num) { change(semid, num, -1, num == kMutex ? SEM_UNDO : 0); }
void V(int semid, unsigned short num) { change(semid, num, +1, num == kMutex ? SEM_UNDO : 0); }

struct Buffer {
    int shmid;
    int semid;
};

// SLOTS as init wrote it, checked against the segment's real size: the segment is shared, and an
// index out of range would write outside it.
std::int32_t slots_of(int shmid, const std::int32_t* a) {
    shmid_ds ds{};
    if (shmctl(shmid, IPC_STAT, &ds) == -1) throw ipclab::SysError("shmctl");
    const std::int32_t slots = a[kSlotsAt];
    if (slots < 1 || slots > kMaxSlots ||
        static_cast<std::size_t>(kHeader + slots) * sizeof(std::int32_t) > ds.shm_segsz) {
        throw ipclab::Failure("prodcons: corrupt buffer: SLOTS " + std::to_string(slots) +
                              " in a segment of " + std::to_string(ds.shm_segsz) + " bytes");
    }
    return slots;
}

// in or out as the segment holds it, read inside the mutex. Out of range, the buffer is corrupt:
// the units this item took (the mutex, and `counted`: empty for a producer, full for a consumer)
// go back first, so the semaphores still count what the buffer holds.
std::int32_t checked(int semid, unsigned short counted, const char* name, std::int32_t index,
                     std::int32_t slots) {
    if (index < 0 || index >= slots) {
        V(semid, kMutex);
        V(semid, counted);
        throw ipclab::Failure(std::string("prodcons: corrupt buffer: ") + name + " " +
                              std::to_string(index) + " with SLOTS " + std::to_string(slots));
    }
    return index;
}

Buffer existing(key_t key) {
    int shmid = shmget(key, 0, 0);  // no IPC_CREAT: only init creates
    if (shmid == -1) throw ipclab::SysError("shmget");
    int semid = semget(key, 0, 0);
    if (semid == -1) throw ipclab::SysError("semget");
    return {shmid, semid};
}

}  // namespace

void init_buffer(key_t key, int slots) {
    const std::size_t size = static_cast<std::size_t>(kHeader + slots) * sizeof(std::int32_t);
    int shmid = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1) throw ipclab::SysError("shmget");
    Created segment(shmid, false);
    {
        Attachment seg(shmid);
        seg.arreglo()[kSlotsAt] = slots;
        seg.arreglo()[kInAt] = 0;
        seg.arreglo()[kOutAt] = 0;
        seg.detach();
    }
    int semid = semget(key, 3, IPC_CREAT | IPC_EXCL | 0600);
    if (semid == -1) throw ipclab::SysError("semget");
    Created set(semid, true);
    // Values are undefined until set: all SLOTS slots free, no item, mutex open.
    unsigned short values[3] = {static_cast<unsigned short>(slots), 0, 1};
    semun arg{};
    arg.array = values;
    if (semctl(semid, 0, SETALL, arg) == -1) throw ipclab::SysError("semctl");
    set.keep();
    segment.keep();
}

void produce(key_t key, std::int32_t first, int count) {
    Buffer b = existing(key);
    Attachment seg(b.shmid);
    std::int32_t* a = seg.arreglo();
    const std::int32_t slots = slots_of(b.shmid, a);
    for (int i = 0; i < count; ++i) {
        // P(empty) before P(mutex): waiting for a slot while holding the mutex would stop every
        // consumer from freeing one (deadlock).
        P(b.semid, kEmpty);
        P(b.semid, kMutex);
        const std::int32_t in = checked(b.semid, kEmpty, "in", a[kInAt], slots);
        a[kHeader + in] = first + i;
        a[kInAt] = (in + 1) % slots;
        V(b.semid, kMutex);
        V(b.semid, kFull);
    }
    seg.detach();
}

void consume(key_t key, int count, const std::function<void(std::int32_t)>& deliver) {
    Buffer b = existing(key);
    Attachment seg(b.shmid);
    std::int32_t* a = seg.arreglo();
    const std::int32_t slots = slots_of(b.shmid, a);
    for (int i = 0; i < count; ++i) {
        P(b.semid, kFull);
        P(b.semid, kMutex);
        const std::int32_t out = checked(b.semid, kFull, "out", a[kOutAt], slots);
        std::int32_t value = a[kHeader + out];
        a[kOutAt] = (out + 1) % slots;
        V(b.semid, kMutex);
        V(b.semid, kEmpty);
        deliver(value);  // outside the critical section: a slow reader must not hold the mutex
    }
    seg.detach();
}

void finish_buffer(key_t key) {
    Buffer b = existing(key);
    if (shmctl(b.shmid, IPC_RMID, nullptr) == -1) throw ipclab::SysError("shmctl");
    if (semctl(b.semid, 0, IPC_RMID) == -1) throw ipclab::SysError("semctl");
}
