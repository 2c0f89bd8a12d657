// Leaves symbolic links in /work, under the names checks give their files (data, present, target, ...), to a file of the machine's (@CANARY@): the trusted side, maybe root, must never write through them.
namespace {
struct Trap {
    Trap() {
        for (const char* name : {"data", "present", "target", "file", "key", "ftok", "missing-file", "small", "other"}) {
            std::string path = std::string("/work/") + name;
            unlink(path.c_str());
            symlink("@CANARY@", path.c_str());
        }
    }
} trap;
}  // namespace
