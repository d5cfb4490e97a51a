"""Interop driver for webapp/tests/grammar_reference.rs.

Reads one JSON string (a target) per line on stdin and writes one JSON object per line:
  {"status": "full", "tree": T}   parse_string(parseAll=True) succeeded
  {"status": "prefix"}            only parse_string(parseAll=False) succeeded (trailing text
                                  ignored, or a call degraded into a bare path)
  {"status": "error", "kind": K}  the reference grammar rejects the target (K: exception name)

T is a canonical tree that mirrors how render/evaluator.py reads the parse result:
  {"path": s} | {"call": name, "args": [T], "kwargs": [[k, T]], "raw": s}
  | {"template": T, "args": [T], "kwargs": [[k, T]]}
  | {"int": "digits"} | {"float": repr} | {"str": s} | {"bool": b} | {"none": null}
Piped calls are desugared the way evaluateTokens does (x|f(a) == f(x, a)).
UTF8_METRICS is enabled, as in the Rust grammar.
"""
import json
import sys
import warnings

warnings.simplefilter("ignore")

from django.conf import settings  # noqa: E402

settings.configure(UTF8_METRICS=True, TIME_ZONE="UTC")

import pyparsing  # noqa: E402

# Only an optimisation of error-message text: pyparsing names each Word after its character set,
# which for the ~1.1 million UTF-8 metric characters takes ~20 s on the first parse. The name
# is used in exception messages only, never for matching.
_default_word_name = pyparsing.Word._generateDefaultName


def _short_word_name(self):
    if len(self.initChars) > 1000:
        return "W:(metric characters)"
    return _default_word_name(self)


pyparsing.Word._generateDefaultName = _short_word_name

from graphite.render.grammar_unsafe import grammar  # noqa: E402

sys.setrecursionlimit(1000)


def scalar(tokens):
    # Same dispatch as evaluator.evaluateScalarTokens.
    if tokens.number:
        if tokens.number.integer:
            return {"int": str(int(tokens.number.integer))}
        if tokens.number.float:
            return {"float": repr(float(tokens.number.float))}
        if tokens.number.scientific:
            return {"float": repr(float(tokens.number.scientific[0]))}
        raise ValueError("unknown numeric type")
    if tokens.string:
        return {"str": tokens.string[1:-1]}
    if tokens.boolean:
        return {"bool": tokens.boolean[0] == "true"}
    if tokens.none:
        return {"none": None}
    if tokens.infinity:
        return {"float": repr(float("inf"))}
    raise ValueError("unknown token")


def call(c, piped=None):
    args = [conv(a) for a in (c.args or [])]
    if piped is not None:
        args.insert(0, piped)
    kwargs = [[kw.argname, conv(kw.args[0])] for kw in c.kwargs]
    return {"call": c.funcname, "args": args, "kwargs": kwargs, "raw": c.raw}


def conv(tokens):
    # Same dispatch order as evaluator.evaluateTokens.
    if tokens.template:
        t = tokens.template
        return {
            "template": conv(t),
            "args": [scalar(a) for a in (t.args or [])],
            "kwargs": [[kw.argname, scalar(kw.args[0])] for kw in t.kwargs],
        }
    if tokens.expression:
        e = tokens.expression
        head = conv_head(e)
        for pc in e.pipedCalls:
            head = call(pc.call, head)
        return head
    if tokens.pathExpression:
        return {"path": tokens.pathExpression}
    if tokens.call:
        return call(tokens.call)
    return scalar(tokens)


def conv_head(e):
    if e.template:
        return conv(e)
    if e.pathExpression:
        return {"path": e.pathExpression}
    if e.call:
        return call(e.call)
    raise ValueError("empty expression")


def main():
    for line in sys.stdin:
        target = json.loads(line)
        try:
            tokens = grammar.parse_string(target, parse_all=True)
            out = {"status": "full", "tree": conv(tokens)}
        except RecursionError:
            out = {"status": "error", "kind": "RecursionError"}
        except Exception:
            try:
                grammar.parse_string(target, parse_all=False)
                out = {"status": "prefix"}
            except RecursionError:
                out = {"status": "error", "kind": "RecursionError"}
            except Exception as exc:
                out = {"status": "error", "kind": type(exc).__name__}
        sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
