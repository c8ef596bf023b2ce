#!/usr/bin/env python3
"""Style test (issue 12): no function in src/ is longer than LIMIT lines.

A function's length counts from the line with the opening brace of its body
to the line with its closing brace. Comments, string and character literals
(raw strings too) and preprocessor lines are blanked first, so braces in them
do not count. A brace opens a function body when it stands at namespace or
class scope and its head (the text since the previous ';', '{' or '}') has a
parameter list and no '=' outside parentheses (that is an initializer).
Lambdas and blocks inside a function count towards that function.

usage: function_length_test.py LIMIT PATH...   (files, or directories whose
       *.cpp/*.hpp are checked); prints each function over LIMIT, exits 1 if any.
"""
import os
import re
import sys

SCOPE_KEYWORDS = re.compile(r"^(?:template\s*<.*>\s*)?(?:namespace|class|struct|union|enum)\b", re.S)


def blank(text):
    """Returns `text` with comments, literals and preprocessor lines replaced
    by spaces, keeping every newline (so line numbers stay)."""
    out = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and c in " \t":
            out.append(c)
            i += 1
            continue
        if line_start and c == "#":  # preprocessor line, with continuations
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append(" \n")
                    i += 2
                    continue
                out.append(" ")
                i += 1
            continue
        line_start = c == "\n"
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "R" and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i + m.end())
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"' or (c == "'" and not (i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_"))):
            # A string or character literal; a quote after a digit is a digit
            # separator (1'000), not a literal.
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(" " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def outside_parens(head):
    """`head` with everything inside (), <> of templates left out."""
    depth, out = 0, []
    for ch in head:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def classify(head):
    """'scope' (namespace, class, ...), 'function' or 'other' for a brace
    opened at namespace or class scope."""
    h = " ".join(head.split())
    h = re.sub(r"^(?:public|private|protected)\s*:\s*", "", h)
    if SCOPE_KEYWORDS.match(h) and "(" not in h:
        return "scope"
    if h.startswith("extern"):
        return "scope"
    if ")" in h and "=" not in outside_parens(h).replace("operator=", "").replace("==", ""):
        return "function"
    return "other"


def name_of(head):
    h = " ".join(head.split())
    m = re.search(r"([\w:~]*operator\s*(?:\(\)|[^\s(]+)|[\w:~]+)\s*\(", h)
    return m.group(1) if m else h[:60]


def functions(text):
    """Yields (name, first_line, length) of every function body in `text`."""
    s = blank(text)
    stack = []  # entries: (kind, line, name)
    head_start = 0
    line = 1
    for i, ch in enumerate(s):
        if ch == "\n":
            line += 1
        elif ch == ";":
            head_start = i + 1
        elif ch == "{":
            if any(k in ("function", "other") for k, _, _ in stack):
                stack.append(("inner", line, ""))
            else:
                head = s[head_start:i]
                stack.append((classify(head), line, name_of(head)))
            head_start = i + 1
        elif ch == "}":
            if not stack:
                raise ValueError(f"unbalanced '}}' at line {line}")
            kind, first, name = stack.pop()
            if kind == "function":
                yield name, first, line - first + 1
            head_start = i + 1
    if stack:
        raise ValueError(f"unbalanced '{{' opened at line {stack[-1][1]}")


SELF_TEST = r'''
namespace a {
struct S {
  int f() const { return 1; }
};
const int table[] = {
    1, 2,
};
Result<int> wrapped(int x,
                    int y) {
  auto s = "}}}";  // }
  /* { */
  char c = '{';
  int n = 1'000;
  auto r = R"x({{)x";
  auto l = [&](int z) {
    return z;
  };
  if (x) {
    return y;
  }
  return 0;
}
}  // namespace a
'''


def self_test():
    got = list(functions(SELF_TEST))
    want = [("f", 4, 1), ("wrapped", 10, 14)]
    if got != want:
        raise SystemExit(f"function_length_test: self-test failed: {got} != {want}")


def sources(paths):
    for p in paths:
        if os.path.isdir(p):
            for d, _, files in sorted(os.walk(p)):
                for f in sorted(files):
                    if f.endswith((".cpp", ".hpp")):
                        yield os.path.join(d, f)
        else:
            yield p


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    limit = int(argv[1])
    self_test()
    checked, long_ones = 0, []
    for path in sources(argv[2:]):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            for name, first, length in functions(text):
                checked += 1
                if length > limit:
                    long_ones.append((length, path, first, name))
        except ValueError as e:
            raise SystemExit(f"function_length_test: {path}: {e}")
    for length, path, first, name in sorted(long_ones, reverse=True):
        print(f"{path}:{first}: {name} is {length} lines (limit {limit})")
    print(f"function length: {checked} functions checked, {len(long_ones)} longer than {limit} lines")
    return 1 if long_ones else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
