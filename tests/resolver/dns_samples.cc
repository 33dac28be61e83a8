// Real-world-shaped DNS messages; see dns_samples.h.
#include "tests/resolver/dns_samples.h"

namespace ztgate::resolver::dns::samples {
namespace {

constexpr uint16_t kA = 1, kNs = 2, kCname = 5, kSoa = 6, kMx = 15, kAaaa = 28, kDname = 39,
                   kOpt = 41, kHttps = 65;
constexpr uint16_t kIn = 1;
constexpr uint16_t kQueryFlags = 0x0100;     // RD.
constexpr uint16_t kResponseFlags = 0x8180;  // QR, RD, RA.
constexpr uint16_t kNxdomainFlags = 0x8183;  // QR, RD, RA, rcode 3.

void Opt(WireBuilder& b, bool dnssec_ok, std::string_view options) {
  b.U8(0);
  b.U16(kOpt);
  b.U16(1232);
  b.U32(dnssec_ok ? 0x8000 : 0);
  b.U16(static_cast<uint16_t>(options.size()));
  b.Bytes(options);
}

std::string Option(uint16_t code, std::string_view data) {
  std::string out;
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xff));
  out.push_back(static_cast<char>(data.size() >> 8));
  out.push_back(static_cast<char>(data.size() & 0xff));
  out += data;
  return out;
}

std::string V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return std::string{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                     static_cast<char>(d)};
}

std::string V6(uint16_t last) {
  std::string out = {0x20, 0x01, 0x0d, static_cast<char>(0xb8)};
  out.append(10, '\0');
  out.push_back(static_cast<char>(last >> 8));
  out.push_back(static_cast<char>(last & 0xff));
  return out;
}

}  // namespace

void WireBuilder::Header(uint16_t id, uint16_t flags, uint16_t questions, uint16_t answers,
                         uint16_t authorities, uint16_t additionals) {
  U16(id);
  U16(flags);
  U16(questions);
  U16(answers);
  U16(authorities);
  U16(additionals);
}

uint16_t WireBuilder::Name(std::string_view text) {
  const uint16_t offset = static_cast<uint16_t>(wire_.size());
  while (!text.empty()) {
    const size_t dot = text.find('.');
    const std::string_view label = text.substr(0, dot);
    U8(static_cast<uint8_t>(label.size()));
    Bytes(label);
    text = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  }
  U8(0);
  return offset;
}

uint16_t WireBuilder::NameWithPointer(std::string_view prefix, uint16_t offset) {
  const uint16_t start = static_cast<uint16_t>(wire_.size());
  while (!prefix.empty()) {
    const size_t dot = prefix.find('.');
    const std::string_view label = prefix.substr(0, dot);
    U8(static_cast<uint8_t>(label.size()));
    Bytes(label);
    prefix = dot == std::string_view::npos ? std::string_view() : prefix.substr(dot + 1);
  }
  U16(static_cast<uint16_t>(0xc000 | offset));
  return start;
}

void WireBuilder::U8(uint8_t value) { wire_.push_back(static_cast<char>(value)); }
void WireBuilder::U16(uint16_t value) {
  U8(static_cast<uint8_t>(value >> 8));
  U8(static_cast<uint8_t>(value & 0xff));
}
void WireBuilder::U32(uint32_t value) {
  U16(static_cast<uint16_t>(value >> 16));
  U16(static_cast<uint16_t>(value & 0xffff));
}
void WireBuilder::Bytes(std::string_view bytes) { wire_ += bytes; }

void WireBuilder::BeginRecord(uint16_t type, uint16_t dns_class, uint32_t ttl) {
  U16(type);
  U16(dns_class);
  U32(ttl);
  rdlength_at_ = wire_.size();
  U16(0);
}

void WireBuilder::EndRdata() {
  const size_t length = wire_.size() - rdlength_at_ - 2;
  wire_[rdlength_at_] = static_cast<char>(length >> 8);
  wire_[rdlength_at_ + 1] = static_cast<char>(length & 0xff);
}

void WireBuilder::QuestionTail(uint16_t type) {
  U16(type);
  U16(kIn);
}

std::string Query(std::string_view name, uint16_t type, uint16_t id, bool edns, bool padded) {
  WireBuilder b;
  b.Header(id, kQueryFlags, 1, 0, 0, edns ? 1 : 0);
  b.Name(name);
  b.QuestionTail(type);
  if (!edns) return b.wire();
  if (!padded) {
    Opt(b, true, "");
    return b.wire();
  }
  // Pad the whole query to a multiple of 128 octets (RFC 8467 section 4.1).
  const size_t unpadded = b.wire().size() + 11 + 4;
  const size_t padding = (128 - unpadded % 128) % 128;
  Opt(b, true, Option(12, std::string(padding, '\0')));
  return b.wire();
}

std::string QueryWithClientSubnet() {
  WireBuilder b;
  b.Header(0x4a1f, kQueryFlags, 1, 0, 0, 1);
  b.Name("www.example.com");
  b.QuestionTail(kA);
  // Family 1, source /24, scope 0, three address octets.
  std::string ecs = {0, 1, 24, 0};
  ecs += V4(198, 51, 100, 0).substr(0, 3);
  Opt(b, false, Option(8, ecs));
  return b.wire();
}

std::string AnswerA() {
  WireBuilder b;
  b.Header(0x1234, kResponseFlags, 1, 1, 0, 1);
  const uint16_t q = b.Name("www.example.com");
  b.QuestionTail(kA);
  b.NameWithPointer("", q);
  b.BeginRecord(kA, kIn, 300);
  b.Bytes(V4(192, 0, 2, 1));
  b.EndRdata();
  Opt(b, false, "");
  return b.wire();
}

std::string AnswerCnameChain() {
  WireBuilder b;
  b.Header(0x2001, kResponseFlags, 1, 4, 0, 1);
  const uint16_t q = b.Name("www.shop.example");
  b.QuestionTail(kA);
  b.NameWithPointer("", q);
  b.BeginRecord(kCname, kIn, 3600);
  const uint16_t cdn = b.Name("shop.cdn.example.net");
  b.EndRdata();
  b.NameWithPointer("", cdn);
  b.BeginRecord(kCname, kIn, 300);
  // edge7.cdn.example.net, compressed against cdn.example.net.
  const uint16_t edge = b.NameWithPointer("edge7", static_cast<uint16_t>(cdn + 5));
  b.EndRdata();
  b.NameWithPointer("", edge);
  b.BeginRecord(kA, kIn, 20);
  b.Bytes(V4(198, 51, 100, 7));
  b.EndRdata();
  b.NameWithPointer("", edge);
  b.BeginRecord(kAaaa, kIn, 20);
  b.Bytes(V6(7));
  b.EndRdata();
  Opt(b, false, "");
  return b.wire();
}

std::string AnswerDname() {
  WireBuilder b;
  b.Header(0x2002, kResponseFlags, 1, 3, 0, 0);
  const uint16_t q = b.Name("host.old.example");
  b.QuestionTail(kA);
  b.NameWithPointer("", static_cast<uint16_t>(q + 5));  // old.example
  b.BeginRecord(kDname, kIn, 600);
  const uint16_t target = b.Name("new.example");
  b.EndRdata();
  b.NameWithPointer("", q);  // The synthesized CNAME (RFC 6672 section 3.1).
  b.BeginRecord(kCname, kIn, 600);
  b.NameWithPointer("host", target);
  b.EndRdata();
  b.NameWithPointer("host", target);
  b.BeginRecord(kA, kIn, 600);
  b.Bytes(V4(192, 0, 2, 80));
  b.EndRdata();
  return b.wire();
}

std::string AnswerManyAddresses() {
  WireBuilder b;
  b.Header(0x2003, kResponseFlags, 1, 128, 0, 1);
  const uint16_t q = b.Name("pool.example.net");
  b.QuestionTail(kA);
  for (int i = 0; i < 64; ++i) {
    b.NameWithPointer("", q);
    b.BeginRecord(kA, kIn, 60);
    b.Bytes(V4(198, 18, 0, static_cast<uint8_t>(i + 1)));
    b.EndRdata();
  }
  for (int i = 0; i < 64; ++i) {
    b.NameWithPointer("", q);
    b.BeginRecord(kAaaa, kIn, 60);
    b.Bytes(V6(static_cast<uint16_t>(i + 1)));
    b.EndRdata();
  }
  Opt(b, false, "");
  return b.wire();
}

std::string AnswerHttpsWithHints() {
  WireBuilder b;
  b.Header(0x2004, kResponseFlags, 1, 2, 0, 1);
  const uint16_t q = b.Name("svc.example.com");
  b.QuestionTail(kHttps);
  b.NameWithPointer("", q);
  b.BeginRecord(kHttps, kIn, 300);
  b.U16(1);  // SvcPriority 1: ServiceMode.
  b.U8(0);   // TargetName ".": the owner name.
  b.U16(1);  // alpn = h2,h3
  b.U16(6);
  b.Bytes(std::string("\x02h2\x02h3", 6));
  b.U16(4);  // ipv4hint = 192.0.2.10, 192.0.2.11
  b.U16(8);
  b.Bytes(V4(192, 0, 2, 10) + V4(192, 0, 2, 11));
  b.U16(6);  // ipv6hint = 2001:db8::10
  b.U16(16);
  b.Bytes(V6(0x10));
  b.EndRdata();
  b.NameWithPointer("", q);
  b.BeginRecord(kA, kIn, 300);
  b.Bytes(V4(192, 0, 2, 10));
  b.EndRdata();
  Opt(b, false, "");
  return b.wire();
}

// SOA example.com with compressed MNAME and RNAME.
void Soa(WireBuilder& b, uint16_t zone, uint32_t ttl, uint32_t minimum) {
  b.NameWithPointer("", zone);
  b.BeginRecord(kSoa, kIn, ttl);
  b.NameWithPointer("ns1", zone);
  b.NameWithPointer("hostmaster", zone);
  b.U32(2026120401);
  b.U32(7200);
  b.U32(3600);
  b.U32(1209600);
  b.U32(minimum);
  b.EndRdata();
}

std::string AnswerNxdomain() {
  WireBuilder b;
  b.Header(0x2005, kNxdomainFlags, 1, 0, 1, 1);
  const uint16_t q = b.Name("missing.example.com");
  b.QuestionTail(kA);
  Soa(b, static_cast<uint16_t>(q + 8), 3600, 300);
  Opt(b, false, "");
  return b.wire();
}

std::string AnswerNodata() {
  WireBuilder b;
  b.Header(0x2006, kResponseFlags, 1, 0, 1, 0);
  const uint16_t q = b.Name("v4only.example.com");
  b.QuestionTail(kAaaa);
  Soa(b, static_cast<uint16_t>(q + 7), 60, 600);
  return b.wire();
}

std::string AnswerMxSoaNs() {
  WireBuilder b;
  b.Header(0x2007, kResponseFlags, 1, 2, 1, 0);
  const uint16_t q = b.Name("example.org");
  b.QuestionTail(kMx);
  b.NameWithPointer("", q);
  b.BeginRecord(kMx, kIn, 3600);
  b.U16(10);
  b.NameWithPointer("mail", q);
  b.EndRdata();
  b.NameWithPointer("", q);
  b.BeginRecord(kMx, kIn, 3600);
  b.U16(20);
  b.NameWithPointer("backup.mail", q);
  b.EndRdata();
  b.NameWithPointer("", q);
  b.BeginRecord(kNs, kIn, 86400);
  b.NameWithPointer("ns1", q);
  b.EndRdata();
  return b.wire();
}

std::string AnswerEdnsOptions() {
  WireBuilder b;
  b.Header(0x2008, 0x8182, 1, 0, 0, 1);  // SERVFAIL.
  b.Name("broken.example");
  b.QuestionTail(kA);
  std::string options = Option(15, std::string("\x00\x16no servers", 12));  // EDE 22.
  options += Option(10, std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));  // Cookie.
  options += Option(12, std::string(20, '\0'));                              // Padding.
  Opt(b, false, options);
  return b.wire();
}

std::vector<std::pair<std::string, std::string>> AllSamples() {
  return {
      {"query_a", Query("www.example.com", kA, 0x1234, false, false)},
      {"query_aaaa_edns", Query("www.Example.COM", kAaaa, 0x1235, true, false)},
      {"query_padded", Query("www.example.com", kHttps, 0x1236, true, true)},
      {"query_ecs", QueryWithClientSubnet()},
      {"answer_a", AnswerA()},
      {"answer_cname_chain", AnswerCnameChain()},
      {"answer_dname", AnswerDname()},
      {"answer_many_addresses", AnswerManyAddresses()},
      {"answer_https_hints", AnswerHttpsWithHints()},
      {"answer_nxdomain", AnswerNxdomain()},
      {"answer_nodata", AnswerNodata()},
      {"answer_mx_ns", AnswerMxSoaNs()},
      {"answer_edns_options", AnswerEdnsOptions()},
  };
}

}  // namespace ztgate::resolver::dns::samples
