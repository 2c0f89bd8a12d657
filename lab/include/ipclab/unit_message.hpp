// A unit test's failure message, by id, so that a student reads it in their own language.
//
//     EXPECT_EQ(mode, 0600u) << ipclab::testing::msg("wrong_mode").with("mode", octal(mode));
//
// The test writes only the id and the values; the texts live in the exercise's
// messages.LANG.toml, table [unit] (shared ones in harness/messages/), where the grader finds
// them and fills {mode}. Run by hand, a failure shows the id and values as one JSON object:
//
//     @@ipclab-msg {"id":"wrong_mode","args":{"mode":"0666"}}@@
#pragma once

#include <string.h>
#include <sys/types.h>

#include <cstdio>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace ipclab::testing {

class Msg {
public:
    explicit Msg(std::string id) : id_(std::move(id)) {}

    // One {name} of the text; the value as the stream prints it (format it first when the
    // text needs it so: octal(mode), errno_name(err)).
    template <class T>
    Msg& with(const char* name, const T& value) {
        std::ostringstream text;
        text << value;
        args_.emplace_back(name, text.str());
        return *this;
    }

    friend std::ostream& operator<<(std::ostream& os, const Msg& m) {
        os << "@@ipclab-msg {\"id\":" << quoted(m.id_) << ",\"args\":{";
        const char* sep = "";
        for (const auto& [name, value] : m.args_) {
            os << sep << quoted(name) << ':' << quoted(value);
            sep = ",";
        }
        return os << "}}@@";
    }

private:
    // A JSON string: the values are whatever the code under test produced (segment contents,
    // messages), so quotes, backslashes and control bytes are escaped.
    static std::string quoted(const std::string& s) {
        std::string out = "\"";
        for (unsigned char c : s) {
            if (c == '"' || c == '\\') {
                out += '\\';
                out += static_cast<char>(c);
            } else if (c < 0x20 || c == 0x7f) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
        return out + "\"";
    }

    std::string id_;
    std::vector<std::pair<std::string, std::string>> args_;
};

inline Msg msg(std::string id) { return Msg(std::move(id)); }

// A mode as ls and the statements write it: 0600.
inline std::string octal(unsigned mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0%o", mode);
    return buf;
}

// A key as ftok_key and ipcs print it: 0x%08x.
inline std::string hex_key(key_t key) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(key));
    return buf;
}

// Values as the feedback shows them: [3, 1, 2, 3] ([] when there are none).
template <class T>
std::string listed(const std::vector<T>& values) {
    std::ostringstream out;
    out << '[';
    for (std::size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
    out << ']';
    return out.str();
}

// An errno by its name (EEXIST), the same in every language and in man 2's ERRORS section.
inline std::string errno_name(int err) {
    const char* name = strerrorname_np(err);
    return name ? name : "errno " + std::to_string(err);
}

}  // namespace ipclab::testing
