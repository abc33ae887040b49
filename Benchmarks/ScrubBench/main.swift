import AirlockLedger
import AirlockScrub
import CoreFoundation
import Foundation

// Scrubber throughput and latency on mixed chat payloads (prose, pasted code, JSON, a few secrets).
// Build and run in release: swift run -c release airlock-bench
// `airlock-bench ledger` measures the ledger store and writer, `airlock-bench records` the TLS record coalescing.

/// Deterministic payload text of about `size` bytes.
func mixedText(size: Int, seed: UInt64) -> String {
    var state = seed
    func next() -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int(truncatingIfNeeded: state >> 33)
    }
    let prose = [
        "The quarterly plan was reviewed by the platform team and the open questions were assigned to owners.",
        "Could you explain why the retry counter resets after a deploy? It looks related to `retryCount` in the worker.",
        "Customers in the EU region reported slower page loads on Monday morning, mostly on the checkout page.",
        "We agreed to move the launch to March so that the documentation and the training are ready in time.",
        "See PROJ-1234 and src/services/billing/invoice.ts for the background; the fix landed in release 4.2.",
    ]
    let code = [
        "def apply_discount(order, rate):\n    if rate <= 0:\n        return order.total\n    discounted = order.total * (1 - rate)\n    return round(discounted, 2)\n",
        "export async function loadUser(id: string): Promise<User> {\n  const res = await fetch(`/api/users/${id}`);\n  if (!res.ok) throw new Error(res.statusText);\n  return res.json();\n}\n",
        "func handler(w http.ResponseWriter, r *http.Request) {\n\tid := r.URL.Query().Get(\"id\")\n\tif id == \"\" {\n\t\thttp.Error(w, \"missing id\", 400)\n\t\treturn\n\t}\n}\n",
        "SELECT o.id, o.total FROM orders o\nJOIN customers c ON c.id = o.customer_id\nWHERE c.region = 'eu' AND o.created_at > now() - interval '7 days';\n",
    ]
    let data = "{\n  \"service\": \"billing\",\n  \"replicas\": 3,\n  \"regions\": [\"eu-west-1\", \"us-east-1\"]\n}\n"
    let secrets = [
        "GITHUB_TOKEN=ghp_Zq8RkT3vW9xY2bN5mC7dF1gH4jK6lP0sA2eU", "aws key AKIAQ7ZK4M2P9X3T6W8R in the config",
        "postgres://app:Wq9zT4kP2m@db.internal:5432/main",
    ]
    var out = ""
    out.reserveCapacity(size + 512)
    while out.utf8.count < size {
        let pick = next() % 100
        if pick < 70 {
            out += prose[next() % prose.count] + " "
            if next() % 4 == 0 { out += "\n\n" }
        } else if pick < 88 {
            out += "\n" + code[next() % code.count] + "\n"
        } else if pick < 97 {
            out += "\n" + data + "\n"
        } else {
            out += secrets[next() % secrets.count] + "\n"
        }
    }
    return out
}

func chatBody(_ text: String) -> [UInt8] {
    let body = try! JSONSerialization.data(
        withJSONObject: ["model": "gpt-bench", "messages": [["role": "user", "content": text]]])
    return Array(body)
}

/// About 73 KiB of support-ticket prose, with no code and no secrets, as 20 text parts of one chat message.
func prosePartsBody() -> [UInt8] {
    let sentences = (0..<1000).map {
        "Customer \($0) asked why the invoice total changed after the March release."
            + ($0 % 4 == 3 ? "\n\n" : " ")
    }
    return partsBody(Array(sentences.joined().utf8), parts: 20)
}

/// `text` as `parts` text parts of one chat message.
func partsBody(_ text: [UInt8], parts: Int) -> [UInt8] {
    let size = text.count / parts
    let content = stride(from: 0, to: text.count, by: size).map { start in
        ["type": "text", "text": String(decoding: text[start..<min(start + size, text.count)], as: UTF8.self)]
    }
    let body = try! JSONSerialization.data(
        withJSONObject: ["model": "gpt-bench", "messages": [["role": "user", "content": content]]])
    return Array(body)
}

/// A Gemini request with a `size`-byte PNG sent as base64 inline data: the PNG signature, then bytes as varied as a
/// compressed image's.
func imageBody(size: Int) -> [UInt8] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    var image: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    image.reserveCapacity(size)
    while image.count < size {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        image.append(UInt8(truncatingIfNeeded: state >> 33))
    }
    return Array(
        #"{"contents":[{"role":"user","parts":[{"text":"What is in this picture?"},{"inlineData":{"mimeType":"image/png","data":"\#(Data(image).base64EncodedString())"}}]}]}"#
            .utf8)
}

/// The headers the OpenAI Python SDK sends with a chat request.
let sdkHeaders: [(name: String, value: String)] = [
    ("Host", "api.openai.com"), ("Accept-Encoding", "gzip, deflate"), ("Connection", "keep-alive"),
    ("Accept", "application/json"), ("Content-Type", "application/json"), ("User-Agent", "OpenAI/Python 1.54.0"),
    ("X-Stainless-Lang", "python"), ("X-Stainless-Package-Version", "1.54.0"), ("X-Stainless-OS", "Linux"),
    ("X-Stainless-Arch", "x64"), ("X-Stainless-Runtime", "CPython"), ("X-Stainless-Runtime-Version", "3.11.2"),
    ("Authorization", "Bearer sk-proj-" + String(repeating: "Zq8RkT3vW9xY2bN5", count: 3)),
    ("X-Stainless-Async", "false"), ("X-Stainless-Retry-Count", "0"), ("Content-Length", "1024"),
]

/// Runs `work` at least five times and for at least `seconds`; returns the median seconds per run. The host's
/// speed drifts by tens of percent from one second to the next, which a median of many runs rides out better
/// than a mean.
func measure(seconds: Double = 1.0, _ work: () -> Void) -> Double {
    work()  // warm up
    let clock = ContinuousClock()
    var runs: [Double] = []
    let start = clock.now
    repeat {
        let runStart = clock.now
        work()
        let d = clock.now - runStart
        runs.append(Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    } while runs.count < 5 || clock.now - start < .milliseconds(Int64(seconds * 1000))
    runs.sort()
    return runs[runs.count / 2]
}

func mbps(_ bytes: Int, _ seconds: Double) -> String {
    String(format: "%8.1f MB/s", Double(bytes) / seconds / 1_000_000)
}

/// A request record as the proxy load benchmark produces it.
func benchEvent() -> LedgerEvent {
    var event = LedgerEvent(kind: .request, requestID: LedgerEvent.newRequestID(time: 1_700_000_000_000), time: 0)
    event.time = 1_700_000_000_000
    event.clientAddress = "127.0.0.1"
    event.host = "api.openai.com"
    event.port = 443
    event.method = "POST"
    event.scheme = "https"
    event.path = "/v1/chat/completions"
    event.entry = "api.openai.com"
    event.provider = "openai"
    event.operation = "chat"
    event.decision = .allowed
    event.requestModel = "gpt-bench"
    event.stream = false
    event.requestBytes = 1024
    event.forwardedBytes = 1024
    return event
}

/// `airlock-bench ledger`: the store alone, appending 6,400 events in batches of 1, 8, 32 and 128; then the
/// writer as the proxy drives it, with 1 and with 32 clients that each wait for a request record to be committed
/// and then queue its outcome record (one client: a client that sends its requests one after another).
func benchLedger() {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-bench-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let store = try! LedgerStore(path: directory.appendingPathComponent("store.sqlite").path)
    let event = benchEvent()
    for batchSize in [1, 8, 32, 128] {
        let count = 6400
        var elapsed = Duration.zero
        for _ in 0..<(count / batchSize) {
            let batch = (0..<batchSize).map { _ in event }
            let start = ContinuousClock.now
            _ = try! store.append(batch)
            elapsed += ContinuousClock.now - start
            store.walCheckpoint()
        }
        let micros = seconds(elapsed) * 1e6
        print(
            String(
                format: "store, batches of %3d: %6.1f µs per event, %6.0f µs per batch",
                batchSize, micros / Double(count), micros / Double(count) * Double(batchSize)))
    }

    for clients in [1, 32] { benchWriter(clients: clients, directory: directory) }
}

func benchWriter(clients: Int, directory: URL) {
    let path = directory.appendingPathComponent("writer-\(clients).sqlite").path
    let stats = CommitStats()
    let writer = LedgerWriter(
        store: try! LedgerStore(path: path),
        keys: try! LedgerKeys(signingKey: LedgerKeys.newSigningKey(), credentialKey: LedgerKeys.newCredentialKey()),
        onCommit: { seconds, _, _ in stats.add(seconds) })
    writer.start()
    let duration = 5.0
    let done = DispatchGroup()
    let requests = Counter()
    let deadline = Date().addingTimeInterval(duration)
    for _ in 0..<clients {
        done.enter()
        Thread.detachNewThread {
            let committed = DispatchSemaphore(value: 0)
            while Date() < deadline {
                var request = benchEvent()
                request.time = Int64(Date().timeIntervalSince1970 * 1000)
                request.requestID = LedgerEvent.newRequestID(time: request.time)
                writer.append(request) { _ in committed.signal() }
                committed.wait()
                var outcome = LedgerEvent(kind: .outcome, requestID: request.requestID, time: request.time)
                outcome.upstreamStatus = 200
                outcome.responseBytes = 96
                outcome.durationMs = 3
                writer.append(outcome)
                requests.add()
            }
            done.leave()
        }
    }
    var largestWAL = 0
    func walSize() -> Int { (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0 }
    while Date() < deadline {
        Thread.sleep(forTimeInterval: 0.1)
        largestWAL = max(largestWAL, walSize())
    }
    done.wait()
    writer.close()
    let (commits, commitSeconds) = stats.read()
    let total = requests.read()
    print(
        String(
            format:
                "writer, %2d clients: %.0f requests/s, %.0f µs waited per request, %.1f events per commit, %.1f µs of commit time per request, WAL at most %.1f MiB",
            clients, Double(total) / duration, duration * Double(clients) / Double(total) * 1e6,
            Double(total * 2) / Double(commits), commitSeconds * 1e6 / Double(total), Double(largestWAL) / 1_048_576))
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

final class CommitStats: @unchecked Sendable {
    private let lock = NSLock()
    private var commits = 0
    private var seconds = 0.0
    func add(_ s: Double) {
        lock.withLock {
            commits += 1
            seconds += s
        }
    }
    func read() -> (Int, Double) { lock.withLock { (commits, seconds) } }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add() { lock.withLock { value += 1 } }
    func read() -> Int { lock.withLock { value } }
}

if CommandLine.arguments.dropFirst().first == "records" {
    benchRecords()
    exit(0)
}

if CommandLine.arguments.dropFirst().first == "ledger" {
    benchLedger()
    exit(0)
}

if CommandLine.arguments.count > 1 {
    // Profiling aid: run one pass on the 10 MiB payload for a while (`code`, `secrets` or `scrub`), the 1 KiB
    // proxy load body (`small`), the 100 KiB chat request of the latency figures (`request`), or 100 KiB of text
    // as 20 text parts of one message (`parts`; `prose` for 73 KiB of prose so cut), the OpenAI SDK's headers and
    // a path (`headers`; `BENCH_PATH` sets the request target, empty for none), or a request with a 1 MiB PNG
    // (`image`).
    let mode = CommandLine.arguments[1]
    // The 10 MiB payload takes seconds to build.
    let large = !["small", "request", "parts", "prose", "headers", "image"].contains(mode)
    let text = large ? Array(mixedText(size: 10 * 1024 * 1024, seed: 42).utf8) : []
    let body = large ? chatBody(String(decoding: text, as: UTF8.self)) : []
    var sink = 0
    // `BENCH_ROUNDS` makes the loop shorter, for valgrind's instruction counts.
    let rounds = ProcessInfo.processInfo.environment["BENCH_ROUNDS"].flatMap { Int($0) } ?? 30
    for _ in 0..<rounds {
        switch mode {
        case "code": sink &+= CodeDetector().detect(text).count
        case "secrets": sink &+= SecretScanner.standard.scan(text).count
        case "headers":
            let benchPath = ProcessInfo.processInfo.environment["BENCH_PATH"] ?? "/v1/chat/completions"
            for _ in 0..<20000 {
                sink &+=
                    (try? Scrubber(policy: ScrubPolicy()).scrub(
                        headers: sdkHeaders, kind: .openai, path: benchPath))?
                    .findings.count ?? 0
            }
        case "small":
            let body = Array(
                #"{"model": "gpt-bench", "messages": [{"role": "user", "content": "\#(String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 21))"}]}"#
                    .utf8)
            for _ in 0..<20000 {
                sink &+= (try? Scrubber(policy: ScrubPolicy()).scrub(body, kind: .openai))?.output.count ?? 0
            }
        case "parts":
            let text = Array(mixedText(size: 100 * 1024, seed: 11).utf8)
            let body = partsBody(text, parts: 20)
            for _ in 0..<100 {
                sink &+= (try? Scrubber(policy: ScrubPolicy()).scrub(body, kind: .openai))?.output.count ?? 0
            }
        case "prose":
            let body = prosePartsBody()
            for _ in 0..<100 {
                sink &+= (try? Scrubber(policy: ScrubPolicy()).scrub(body, kind: .openai))?.output.count ?? 0
            }
        case "image":
            let body = imageBody(size: 1 << 20)
            for _ in 0..<10 {
                sink &+= (try? Scrubber(policy: ScrubPolicy()).scrub(body, kind: .gemini))?.output.count ?? 0
            }
        case "request":
            let request = chatBody(mixedText(size: 100 * 1024, seed: 7))
            for _ in 0..<100 {
                sink &+= (try? Scrubber(policy: ScrubPolicy()).scrub(request, kind: .openai))?.output.count ?? 0
            }
        default: sink &+= (try? Scrubber(policy: ScrubPolicy()).scrub(body, kind: .openai))?.output.count ?? 0
        }
    }
    print(sink)
    exit(0)
}

let scrubber = Scrubber(policy: ScrubPolicy())
let scanner = SecretScanner.standard
let detector = CodeDetector()
print("airlock-bench: scrubber on mixed prose, code and JSON (1 core)")
print("size       secret pass    code pass      whole scrub (JSON body in, rewritten body out)")
for (label, size) in [("1 KiB", 1024), ("100 KiB", 100 * 1024), ("10 MiB", 10 * 1024 * 1024)] {
    let text = Array(mixedText(size: size, seed: 42).utf8)
    let body = chatBody(String(decoding: text, as: UTF8.self))
    var sink = 0
    let secretTime = measure { sink &+= text.withUnsafeBufferPointer { scanner.scan($0).count } }
    let codeTime = measure { sink &+= detector.detect(text).count }
    let scrubTime = measure {
        sink &+= (try? scrubber.scrub(body, kind: .openai, path: "/v1/chat/completions"))?.output.count ?? 0
    }
    print(
        "\(label.padding(toLength: 10, withPad: " ", startingAt: 0)) \(mbps(text.count, secretTime))  \(mbps(text.count, codeTime))  \(mbps(body.count, scrubTime))   (\(sink > 0 ? "ok" : "-"))"
    )
}

// The proxy load benchmark's request: 1 KiB of plain prose in a chat body.
let loadBody: [UInt8] = {
    let text = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 21)
    var body = Array(#"{"model": "gpt-bench", "messages": [{"role": "user", "content": "\#(text)"}]}"#.utf8)
    body.insert(contentsOf: [UInt8](repeating: 0x20, count: 1024 - body.count), at: body.count - 2)
    return body
}()
let perRequest = measure { _ = try? scrubber.scrub(loadBody, kind: .openai, path: "/v1/chat/completions") }
print(String(format: "1 KiB prose chat request (the proxy load body): %.1f µs per scrub", perRequest * 1e6))
// The same with the headers the OpenAI Python SDK sends, which are read too.
let withHeaders = measure {
    _ = try? scrubber.scrub(loadBody, kind: .openai, path: "/v1/chat/completions", headers: sdkHeaders)
}
print(String(format: "  with the 16 headers the OpenAI Python SDK sends: %.1f µs per scrub", withHeaders * 1e6))

// A 100 KiB text file attached as base64 (Gemini inline data): decoded, scanned, and written back as base64.
let attachedText = Array(mixedText(size: 100 * 1024, seed: 11).utf8)
let attached = Array(
    #"{"contents":[{"role":"user","parts":[{"text":"Summarise the file."},{"inlineData":{"mimeType":"text/plain","data":"\#(Data(attachedText).base64EncodedString())"}}]}]}"#
        .utf8)
let plainText = chatBody(String(decoding: attachedText, as: UTF8.self))
let attachedTime = measure { _ = try? scrubber.scrub(attached, kind: .gemini) }
let plainTime = measure { _ = try? scrubber.scrub(plainText, kind: .openai) }
print(
    String(
        format: "100 KiB text file as base64 inline data: %.0f µs per scrub (the same text as a chat message: %.0f µs)",
        attachedTime * 1e6, plainTime * 1e6))

// A 1 MiB PNG as base64 inline data: decoded, and its bytes searched for secrets; with `binary: block` it is refused
// without being decoded, which is what reading the request costs without the image's bytes.
let image = imageBody(size: 1 << 20)
var blocking = ScrubPolicy()
blocking.binary = .block
let imageTime = measure { _ = try? scrubber.scrub(image, kind: .gemini) }
let imageBlockedTime = measure { _ = try? Scrubber(policy: blocking).scrub(image, kind: .gemini) }
print(
    String(
        format: "1 MiB PNG as base64 inline data: %.0f µs per scrub (%.0f µs refused undecoded with binary: block)",
        imageTime * 1e6, imageBlockedTime * 1e6))

// The same 100 KiB text as 20 text parts of one message, which are also read as one text (`PieceJoint`); and 2,048
// short embedding inputs, separate texts read one by one.
let partedBody = partsBody(attachedText, parts: 20)
let inputsBody = try! JSONSerialization.data(
    withJSONObject: [
        "model": "text-embedding-3-small",
        "input": (0..<2048).map { "Customer \($0) asked why the invoice total changed after the March release." },
    ])
let proseParts = prosePartsBody()
let partsTime = measure { _ = try? scrubber.scrub(partedBody, kind: .openai) }
let prosePartsTime = measure { _ = try? scrubber.scrub(proseParts, kind: .openai) }
let inputsTime = measure { _ = try? scrubber.scrub(Array(inputsBody), kind: .openai, path: "/v1/embeddings") }
print(
    String(
        format:
            "the same 100 KiB as 20 text parts of one message: %.0f µs per scrub (%.0f µs for %d KiB of prose so cut); 2,048 embedding inputs (%d KiB): %.0f µs",
        partsTime * 1e6, prosePartsTime * 1e6, proseParts.count / 1024, inputsBody.count / 1024, inputsTime * 1e6))

// Uploads: a 10 MiB batch input file (JSON Lines of chat requests) and a 10 MiB audio clip as multipart/form-data
// parts, and 10 MiB of text as one piece of a resumable upload.
let boundary = "----airlock-bench-boundary"
func form(_ filename: String, _ type: String, _ content: [UInt8]) -> [UInt8] {
    let head =
        "--\(boundary)\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--\(boundary)\r\n"
        + "Content-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n"
    return Array(head.utf8) + content + Array("\r\n--\(boundary)--\r\n".utf8)
}
let uploadText = Array(mixedText(size: 10 * 1024 * 1024, seed: 5).utf8)
var batchFile: [UInt8] = []
for (i, start) in stride(from: 0, to: uploadText.count, by: 4096).enumerated() {
    let slice = String(decoding: uploadText[start..<min(start + 4096, uploadText.count)], as: UTF8.self)
    batchFile += Array(#"{"custom_id":"\#(i)","method":"POST","url":"/v1/chat/completions","body":"#.utf8)
    batchFile += chatBody(slice) + Array("}\n".utf8)
}
var noise: UInt64 = 3
let audio = (0..<(10 * 1024 * 1024)).map { _ -> UInt8 in
    noise = noise &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return UInt8(truncatingIfNeeded: noise >> 33)
}
let format = BodyFormat.form(boundary: Array(boundary.utf8))
let batchForm = form("batch.jsonl", "application/octet-stream", batchFile)
let audioForm = form("speech.wav", "audio/wav", audio)
let batchTime = measure { _ = try? scrubber.scrub(batchForm, kind: .openai, path: "/v1/files", format: format) }
let audioTime = measure { _ = try? scrubber.scrub(audioForm, kind: .openai, path: "/v1/files", format: format) }
let pieceTime = measure {
    _ = try? scrubber.scrub(uploadText, kind: .gemini, path: "/upload/v1beta/files", format: .uploadPiece)
}
print(
    "uploads, whole scrub: 10 MiB batch file (JSON Lines) in a form \(mbps(batchForm.count, batchTime)), "
        + "10 MiB audio in a form \(mbps(audioForm.count, audioTime)), "
        + "10 MiB text as a resumable upload piece \(mbps(uploadText.count, pieceTime))")

// Latency of one 100 KiB chat request, scrubbed end to end. The fastest run is printed too: the host's drift only
// ever slows a run down, so it is the figure to compare two builds by. Each run's CPU time (this thread's, from the
// kernel) is read beside its wall time: a run that was preempted is slow on the wall clock but not in CPU time, so
// the two tails tell waiting for the core from running slowly.
func threadCPUMicroseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) * 1e6 + Double(time.tv_nsec) / 1e3
}
let request = chatBody(mixedText(size: 100 * 1024, seed: 7))
var wall: [Double] = []
var onCPU: [Double] = []
let clock = ContinuousClock()
for _ in 0..<2000 {
    let cpuStart = threadCPUMicroseconds()
    let start = clock.now
    _ = try? scrubber.scrub(request, kind: .openai, path: "/v1/chat/completions")
    let d = clock.now - start
    onCPU.append(threadCPUMicroseconds() - cpuStart)
    wall.append(Double(d.components.attoseconds) / 1e12 + Double(d.components.seconds) * 1e6)
}
wall.sort()
onCPU.sort()
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}
print(
    String(
        format: "100 KiB chat request: p50 %.0f µs, p99 %.0f µs, max %.0f µs, fastest %.0f µs (2000 runs)",
        percentile(wall, 0.5), percentile(wall, 0.99), wall.last!, wall[0]))
print(
    String(
        format: "  the same runs in CPU time: p50 %.0f µs, p99 %.0f µs, max %.0f µs",
        percentile(onCPU, 0.5), percentile(onCPU, 0.99), onCPU.last!))
