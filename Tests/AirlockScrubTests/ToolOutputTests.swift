import Foundation
import Testing

@testable import AirlockScrub

/// Tool output and Markdown that hold symbols and quote source lines but are prose: test runners' reports, build
/// progress, tracebacks, thread dumps, log lines, commit messages with headings and links.
@Suite struct ToolOutputTests {
    @Test(arguments: [
        "Running the suite gives this:\n\n$ cargo test\n   Compiling ledger v0.3.1 (/home/dev/ledger)\n    Finished `test` profile [unoptimized + debuginfo] target(s) in 1.02s\n     Running unittests src/lib.rs (target/debug/deps/ledger-1a2b3c4d5e6f7081)\n\nrunning 2 tests\ntest tests::balance_is_kept ... FAILED\ntest tests::empty_ledger ... ok\n\nfailures:\n\n---- tests::balance_is_kept stdout ----\nthread 'tests::balance_is_kept' (41230) panicked at src/lib.rs:88:9:\nassertion `left == right` failed\n\nWhat did I break?",
        "The test fails like this:\n\n______________________________ test_refund ______________________________\n\nclient = <shop.Client object at 0x7f3a2c1d9e80>\n\n    def test_refund(client):\n        order = client.place(items=[1, 2])\n        result = client.refund(order.id)\n        assert result.ok\n>       assert result.amount == 30\nE       assert 25 == 30\n\ntests/test_refund.py:9: AssertionError\n\nAny idea?",
        "I get this in the notebook:\n\nKeyError                                  Traceback (most recent call last)\nCell In[4], line 2\n      1 prices = load()\n----> 2 total = prices[\"eur\"] * rate\n\nCell In[2], line 5, in load()\n      3 def load():\n      4     table = read_table(\"prices.csv\")\n----> 5     return table.to_dict()\n\nKeyError: 'eur'\n\nWhy?",
        "```\nTraceback (most recent call last):\n  Cell In [8], line 1\n    summarise(rows)\n  File ~/work/report/stats.py:14 in summarise\n    return total / len(rows)\nZeroDivisionError: division by zero\n```\nThanks.",
        "```\n1) Cart totals the lines\n   Failure/Error: expect(cart.total).to eq(30)\n\n     expected: 30\n          got: 25\n\n     (compared using ==)\n   # ./spec/models/cart_spec.rb:12:in `block (2 levels) in <top (required)>'\n   # ./spec/support/helpers.rb:7\n```\nWhat now?",
        "```\n\"worker-3\" Id=41 cpuUsage=12% WAITING\n    at java.lang.Object.wait(Native Method)\n    at com.example.queue.Pool.take(Pool.java:88)\n    at com.example.queue.Worker.run(Worker.java:31)\n    at java.lang.Thread.run(Thread.java:750)\n```\nIs this a deadlock?",
        "```\npanic: runtime error: slice bounds out of range\n\ngoroutine 12 [running]:\nmain.split({0xc000012345, 3}, 7)\n\t/src/app/split.go:19 +0x1d2\ncreated by main.start\n\t/src/app/main.go:40 +0x65\n```\nHelp?",
        "Mar  4 10:02:11 web-2 sshd[2211]: Accepted publickey for deploy from 10.0.4.7 port 52144 ssh2\nMar  4 10:02:12 web-2 kernel[0]: eth0: link up (1000Mbps/Full) - flow control rx/tx\nMar  4 10:02:15 web-2 cron[3120]: (root) CMD (run-parts /etc/cron.hourly)\n2024-03-04 10:02:16,512 ERROR [main] worker.Pool: job(42) failed => retrying in 5s\n",
        "09:14:02.100231 openat(AT_FDCWD, \"/etc/hosts\", O_RDONLY|O_CLOEXEC) = 3 <0.000021>\n09:14:02.100310 read(3, \"127.0.0.1 localhost\\n\", 4096) = 20 <0.000012>\n09:14:02.100355 close(3) = 0 <0.000008>\n",
        "Release 2.4.0 (#812)\n\n## What's Changed\n- [Fix retry budget](https://example.org/acme/pull/801)\n- [Docs for the pool](docs/pool.md)\n\n### `RetryPolicy`\n\n[![CI](https://example.org/badge.svg)](https://example.org/ci)\n\nThanks to everyone who helped.",
        "## 2.1.0 / 2024-05-02\n\n * Fix the retry budget when the pool is empty.\n   (Ana Lima)\n\n * Show the date in local time in error pages. (kw)\n\n * Document the pool's options.\n   (Sam Ortiz)\n",
        "{ \"ts\" : \"2024-03-04T10:02:11.512Z\", \"unit\" : \"worker.service\", \"msg\" : \"job(42) failed; retrying in 5s\", \"pid\" : \"3120\" }\n{ \"ts\" : \"2024-03-04T10:02:16.530Z\", \"unit\" : \"worker.service\", \"msg\" : \"job(42) done; took 4.9s\", \"pid\" : \"3120\" }\n",
    ])
    func toolOutputComesBackByteForByte(_ text: String) throws {
        let result = try Scan.text(text)
        #expect(result.findings.isEmpty, "\(result.findings.map(\.detector))")
        #expect(Scan.output(result) == text)
    }

    /// Log lines whose timestamp is not their first field, stacks whose first frame follows the exception or thread
    /// it belongs to, a label of prose over a tab-indented path, and brackets left alone between frames.
    @Test(arguments: [
        // uWSGI's request lines, and an access log in Apache's common format.
        "The workers log this under load:\n\n[pid: 4120|app: 0|req: 7/12] 10.0.3.9 () {40 vars in 712 bytes} [Tue Apr  9 14:02:31 2024] GET /health => generated 2 bytes in 3 msecs (HTTP/1.1 200) 2 headers in 71 bytes (1 switches on core 0)\n[pid: 4121|app: 0|req: 8/13] 10.0.3.9 () {40 vars in 715 bytes} [Tue Apr  9 14:02:32 2024] POST /items => generated 88 bytes in 41 msecs (HTTP/1.1 201) 3 headers in 102 bytes (1 switches on core 1)\n\nIs 41 msecs normal?",
        "10.0.3.9 - - [09/Apr/2024:14:02:31 +0000] \"GET /api/items?page=2 HTTP/1.1\" 200 5120 \"-\" \"curl/8.4.0\"\n10.0.3.9 - - [09/Apr/2024:14:02:33 +0000] \"POST /api/items HTTP/1.1\" 500 61 \"-\" \"python-requests/2.31\"\n",
        // A profiler's stack: a logfmt line with its time, the method it sampled, then the frames.
        "```\nts=2024-04-09 14:02:31;thread_name=worker-7;id=2f;is_daemon=false;priority=5;TCCL=com.acme.boot.AppClassLoader@6d06d69c\n    @com.acme.billing.Ledger.post()\n        at com.acme.billing.Service.settle(Service.java:88)\n        at com.acme.http.Handler.handle(Handler.java:41)\n        at java.lang.Thread.run(Thread.java:750)\n```\nWhy is this so slow?",
        "It fails with:\n\ncom.acme.store.StoreException: key(42) not found; retry=false\n\tat com.acme.store.Store.get(Store.java:120)\n\tat com.acme.api.Items.show(Items.java:57)\n\nAny idea?",
        "```\nts=2024-04-09 14:02:31; [cost=1.5ms] result=@ArrayList[\n    @Integer[-4120],\n    java.lang.IllegalStateException: closed(fd=7)\n\tat com.acme.io.Channel.read(Channel.java:33)\n\tat com.acme.io.Pump.run(Pump.java:12)\n,\n]\n```\nWhat closes it?",
        "Revert \"Retry on timeouts\"\n\nThis reverts commit 4f1c2a9.\n\nConflicts:\n\tlib/acme/retry.rb\n\nFixes #61",
        // Go's frames: a function over the source location indented under it.
        "It panics:\n\npanic: assignment to entry in nil map\n\ngoroutine 1 [running]:\nmain.(*Cache).Put(...)\n\t/home/dev/app/cache.go:21\nmain.main()\n\t/home/dev/app/main.go:9 +0x45\nexit status 2\n\nWhy?",
        // A Markdown table whose cells name functions and options.
        "| Option | Default | Description |\n|---|---|---|\n| `timeout` | `30s` | How long `fetch()` waits |\n| `retries` | `3` | Calls to `retry_once()` |\n",
        // A compiler's excerpt with its gutter (rustc).
        "I get this error:\n\nerror[E0382]: borrow of moved value: `names`\n --> src/main.rs:5:20\n  |\n3 |     let names = vec![String::from(\"a\")];\n  |         ----- move occurs because `names` has type `Vec<String>`\n4 |     let moved = names;\n  |                 ----- value moved here\n5 |     println!(\"{:?}\", names);\n  |                    ^^^^^ value borrowed here after move\n\nHow do I fix it?",
        // A chained Python traceback whose frames read as prose.
        "Traceback (most recent call last):\n  File \"/srv/app/db.py\", line 40, in connect\n    conn = pool.get(timeout=5)\nqueue.Empty\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n  File \"/srv/app/main.py\", line 9, in <module>\n    main()\n  File \"/srv/app/main.py\", line 5, in main\n    db.connect()\nRuntimeError: no connection available (pool_size=10)\n",
        // pytest's report with its banners and summary.
        "=================================== FAILURES ===================================\n_________________________________ test_total __________________________________\n\n    def test_total():\n        cart = Cart([Item(10), Item(20)])\n>       assert cart.total() == 40\nE       assert 30 == 40\n\ntests/test_cart.py:6: AssertionError\n=========================== short test summary info ============================\nFAILED tests/test_cart.py::test_total - assert 30 == 40\n========================= 1 failed, 3 passed in 0.12s =========================\n",
        // npm's report.
        "npm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve dependency tree\nnpm ERR! \nnpm ERR! While resolving: web@1.0.0\nnpm ERR! Found: react@18.2.0\nnpm ERR! node_modules/react\nnpm ERR!   react@\"^18.2.0\" from the root project\n",
        // A Conventional Commits subject, and escapes named in code spans (not escaped line breaks of a string).
        "fix(parser): handle `\\r\\n` in `read_header()` (#412)\n\nThe parser split on `\\n` only, so `Content-Length` kept a trailing `\\r`\nand `int(value)` raised `ValueError`.\n\nCloses #400\n",
        // A release bot's subject.
        "chore(main): release 2.3.0 (#120)\n\n## [2.3.0](https://example.org/acme/widget/compare/v2.2.0...v2.3.0) (2024-04-09)\n\n### Features\n\n* **client:** add `retry_budget` option ([#118](https://example.org/acme/widget/issues/118))\n",
        // A PHP backtrace.
        "PHP Fatal error:  Uncaught TypeError: count(): Argument #1 ($value) must be of type Countable|array, null given in /var/www/app/src/Cart.php:14\nStack trace:\n#0 /var/www/app/src/Cart.php(14): count(NULL)\n#1 /var/www/app/index.php(8): Cart->total()\n#2 {main}\n  thrown in /var/www/app/src/Cart.php on line 14\n",
    ])
    func logsAndStacksOfOtherShapesComeBackByteForByte(_ text: String) throws {
        let result = try Scan.text(text)
        #expect(result.findings.isEmpty, "\(result.findings.map(\.detector))")
        #expect(Scan.output(result) == text)
    }
}

/// Code that only its neighbourhood or its shape shows, and the names of the languages it is written in.
@Suite struct CodeClassTests {
    @Test(arguments: [
        (
            "Why does this notebook not work?\n\n# In[1]:\n\n\n# Setup\n%pip install -q pandas seaborn\n\n\n# In[2]:\n\n\nimport pandas as pd\nfrom matplotlib import pyplot as plt\ndf = pd.read_csv(\"sales.csv\")\nplt.plot(df[\"month\"], df[\"total\"])\n\nThanks!",
            "python"
        ),
        (
            "Could this be simpler?\n\n#  define PAIR_2(f, a, b) f(a), f(b)\n#  define PAIR_3(f, a, b, c) f(a), f(b), f(c)\n\nThanks.",
            "c"
        ),
        (
            "Can you explain this?\n\ntotalOf :: [Item] -> Int\ntotalOf items = sum (map price items)\n\nnewtype Price = Price Int deriving (Show, Eq)\n\ndata Item = Item { name :: String, price :: Int } deriving (Show)\n\nThanks.",
            "haskell"
        ),
        (
            "Why is the binary rebuilt every time?\n\nBIN := ./bin/app\nSRC := $(shell find . -name '*.go')\n\n.PHONY: build test\n\nbuild: $(SRC)\n\tgo build -o $(BIN) ./cmd/app\n\ntest:\n\tgo test ./...\n\nThanks.",
            "make"
        ),
        (
            "Is this right?\n\nresource \"aws_s3_bucket\" \"logs\" {\n  bucket = var.bucket_name\n  tags = {\n    Team = \"platform\"\n  }\n}\n\nvariable \"bucket_name\" {\n  type    = string\n  default = \"acme-logs\"\n}\n\nThanks.",
            "terraform"
        ),
        ("```hcl\nprovider \"aws\" {\n  region = \"eu-west-1\"\n}\n```\nThanks.", "terraform"),
        (
            "Here is the part that fails:\n\nWORKDIR /srv/app\nCOPY pom.xml /srv/app/pom.xml\nRUN mvn -q package\n\nAny idea?",
            "dockerfile"
        ),
        (
            "Why is this slow?\n\nnamespace Acme\\Billing;\n\nuse Acme\\Billing\\Invoice\\LineItem;\nuse Psr\\Log\\LoggerInterface;\n\nfinal class Ledger\n{\n    public function __construct(private LoggerInterface $log) {}\n}\n\nThanks.",
            "php"
        ),
        (
            "Can you review this?\n\ndef settle(account, amount):\n    \"\"\"\n    Settle the account with the given amount.\n    The amount is taken in the account's currency and\n    rounded to the nearest cent before it is booked.\n    \"\"\"\n    booked = round(amount, 2)\n    account.book(booked)\n    return booked\n\nThanks.",
            "python"
        ),
        (
            "Is this right?\n\nint total(const int *v, size_t n) {\n    int s = 0;\n    for (size_t i = 0; i < n; i++) s += v[i];\n    return s;\n}\n\n/*\n * The mean of the values, rounded down;\n * zero for an empty array.\n */\n\nint mean(const int *v, size_t n) {\n    return n ? total(v, n) / (int)n : 0;\n}\n\nThanks.",
            "c"
        ),
        (
            "Why does this not compile?\n\nimport java.util.List;\nimport java.util.Map;\n\npublic class Report {\n    private final List<String> rows;\n    public Report(List<String> rows) { this.rows = rows; }\n}\n\nThanks.",
            "java"
        ),
        (
            "Can you explain this?\n\nimport qualified Data.Map as Map\n\ncount :: [String] -> Map.Map String Int\ncount ws = Map.fromListWith (+) [(w, 1) | w <- ws]\n\nThanks.",
            "haskell"
        ),
    ])
    func codeIsRemovedAndNamed(_ text: String, language: String) throws {
        let result = try Scan.text(text)
        #expect(result.findings.map(\.detector) == ["code-\(language)"])
        let out = Scan.output(result)
        #expect(out.contains("[REDACTED:code:\(language):"))
        // The sentence after the block stays.
        #expect(out.hasSuffix(String(text.split(separator: "\n").last!)))
    }

    @Test func aNotebooksMagicsImportsAndCellMarkersGoWithItsCode() throws {
        let out = try Scan.output(
            Scan.text(
                "Why does this notebook not work?\n\n# In[1]:\n\n\n# Setup\n%pip install -q pandas seaborn\n\n\n# In[2]:\n\n\nimport pandas as pd\nfrom matplotlib import pyplot as plt\ndf = pd.read_csv(\"sales.csv\")\nplt.plot(df[\"month\"], df[\"total\"])\n\nThanks!"
            ))
        for line in ["%pip install -q pandas seaborn", "import pandas as pd", "from matplotlib import pyplot as plt"] {
            #expect(!out.contains(line))
        }
        #expect(out.hasPrefix("Why does this notebook not work?"))
    }

    @Test func aDocstringAndTheCommentsBetweenFunctionsGoWithTheCode() throws {
        for text in [
            "Can you review this?\n\ndef settle(account, amount):\n    \"\"\"\n    Settle the account with the given amount.\n    The amount is taken in the account's currency and\n    rounded to the nearest cent before it is booked.\n    \"\"\"\n    booked = round(amount, 2)\n    account.book(booked)\n    return booked\n\nThanks.",
            "Is this right?\n\nint total(const int *v, size_t n) {\n    int s = 0;\n    for (size_t i = 0; i < n; i++) s += v[i];\n    return s;\n}\n\n/*\n * The mean of the values, rounded down;\n * zero for an empty array.\n */\n\nint mean(const int *v, size_t n) {\n    return n ? total(v, n) / (int)n : 0;\n}\n\nThanks.",
        ] {
            let out = try Scan.output(Scan.text(text))
            #expect(!out.contains("rounded to the nearest cent") && !out.contains("zero for an empty array"))
            #expect(out.hasSuffix("Thanks."))
        }
    }

    /// A Makefile's rules are code by their shape, a target then a recipe indented with a tab, however few words
    /// each line has; an IPython session's input is code after its prompts.
    @Test(arguments: [
        "Why does this not run?\n\nall: gen check\n\ngen:\n\ttl gen app.tl\n\ncheck:\n\tluacheck app.lua\n\nThanks.",
        "Is this rule right?\n\nlint: | deps\n\t$(GO) vet $(PKGS)\n\tstaticcheck -checks all $(PKGS)\n\nThanks.",
    ])
    func makefileRulesAreCode(_ text: String) throws {
        let result = try Scan.text(text)
        #expect(result.findings.map(\.detector) == ["code-make"])
        let out = Scan.output(result)
        #expect(!out.contains("\t"))
        #expect(out.hasSuffix("Thanks."))
    }

    /// A paste of imports alone, and the comment right above a block's first line, are the code's.
    @Test func importsAloneAndACommentAboveTheCodeAreCode() throws {
        let imports =
            "Which of these do I need?\n\nimport com.acme.billing.Ledger\nimport com.acme.billing.Invoice\nimport com.acme.http.Client\n\nThanks."
        let out = try Scan.output(Scan.text(imports))
        #expect(!out.contains("import com.acme"))
        #expect(out.hasPrefix("Which of these do I need?") && out.hasSuffix("Thanks."))
        let commented =
            "Why does this fail?\n\n# fail early on errors\nset -o errexit\nDIR=\"$(dirname \"$0\")\"\ncd \"$DIR\" && make build\n\nThanks."
        let shell = try Scan.output(Scan.text(commented))
        #expect(!shell.contains("fail early on errors") && !shell.contains("set -o errexit"))
    }

    /// A docstring above the code goes with it, with the line that opens it and the module around it.
    @Test func aDocstringAboveTheCodeGoesWithIt() throws {
        let text =
            "What does this do?\n\ndefmodule Acme.Headers do\n  @moduledoc \"\"\"\n  Helpers for reading request headers\n  \"\"\"\n\n  @max_length 4096\n  @separators [?;, ?,]\n  @blank [?\\s, ?\\t]\n\nThanks."
        let out = try Scan.output(Scan.text(text))
        #expect(!out.contains("defmodule") && !out.contains("Helpers for reading request headers"))
        #expect(out.hasPrefix("What does this do?") && out.hasSuffix("Thanks."))
    }

    /// The language a block is named after, from the shape of its lines where its words are shared.
    @Test(arguments: [
        (
            "Is this right?\n\nlookup :: Ord k => k -> Map k v -> Maybe v\nlookup key m = Map.lookup key m\n\ninsertAll :: Ord k => [(k, v)] -> Map k v -> Map k v\ninsertAll kvs m = foldr (uncurry Map.insert) m kvs\n\nThanks.",
            "haskell"
        ),
        (
            "Is this right?\n\n@moduledoc \"Parses headers.\"\n@max_length 4096\n@separators [?;, ?,]\n\ndef parse(value), do: split(value, @separators)\n\nThanks.",
            "elixir"
        ),
        (
            "Is this right?\n\nDECLARE\n    total integer := 0;\nBEGIN\n    SELECT count(*) INTO total FROM orders;\n    RETURN total;\nEND;\n\nThanks.",
            "sql"
        ),
        (
            "Is this right?\n\nFROM debian:12\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\nWORKDIR /srv\n\nThanks.",
            "dockerfile"
        ),
    ])
    func blocksAreNamedByTheirShape(_ text: String, language: String) throws {
        let result = try Scan.text(text)
        #expect(result.findings.map(\.detector) == ["code-\(language)"])
    }

    @Test func anIPythonSessionsInputIsCode() throws {
        let text =
            "Why is x not set?\n\nIn [1]: class Point:\n   ...:     def __init__(self, x):\n   ...:         self.x = x\n   ...:\n\nIn [2]: Point(3).x\nOut[2]: 3\n\nThanks."
        let out = try Scan.output(Scan.text(text))
        for line in ["class Point:", "def __init__(self, x):", "self.x = x", "Point(3).x"] {
            #expect(!out.contains(line))
        }
        #expect(out.hasPrefix("Why is x not set?") && out.hasSuffix("Thanks."))
    }

    /// A question between two halves of a snippet is the user's, not the code's.
    @Test func aSentenceBetweenTwoHalvesOfASnippetStays() throws {
        let question = "Why does the first half work but not this one?"
        let text =
            "Here it is:\n\nint total = 0;\nfor (int i = 0; i < n; i++) total += v[i];\n\n\(question)\n\nreturn total / n;\nfree(v);\n\nThanks."
        let out = try Scan.output(Scan.text(text))
        #expect(out.contains(question))
        #expect(!out.contains("total += v[i]") && !out.contains("free(v);"))
    }

    @Test func aCommentThatStartsWithADirectiveWordIsNotADirective() {
        let text = "Some notes:\n# define the handler first\n# if the queue is empty, wait\nThat is all."
        #expect(Scan.code(text).isEmpty)
    }
}
