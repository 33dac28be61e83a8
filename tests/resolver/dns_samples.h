// DNS messages shaped like real traffic, written octet by octet (with the
// compression pointers a real server writes) rather than by ztgate's own
// encoder, so that parser tests do not only check the encoder against
// itself. The codec tests, the fuzz seed corpus and the benchmarks share
// them. Addresses are from documentation ranges (192.0.2.0/24,
// 198.51.100.0/24, 2001:db8::/32).
#ifndef ZTGATE_TESTS_RESOLVER_DNS_SAMPLES_H_
#define ZTGATE_TESTS_RESOLVER_DNS_SAMPLES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ztgate::resolver::dns::samples {

// Appends wire octets and remembers where names start, for pointers.
class WireBuilder {
 public:
  void Header(uint16_t id, uint16_t flags, uint16_t questions, uint16_t answers,
              uint16_t authorities, uint16_t additionals);
  // Writes "www.example.com" uncompressed and returns its offset.
  uint16_t Name(std::string_view text);
  // Writes the labels of `prefix` then a pointer to `offset` ("" for only
  // the pointer); returns the offset of the first octet written.
  uint16_t NameWithPointer(std::string_view prefix, uint16_t offset);
  void U8(uint8_t value);
  void U16(uint16_t value);
  void U32(uint32_t value);
  void Bytes(std::string_view bytes);
  // Type, class, TTL and a length placeholder that EndRdata fills in.
  void BeginRecord(uint16_t type, uint16_t dns_class, uint32_t ttl);
  void EndRdata();
  // Type and class IN after a question name.
  void QuestionTail(uint16_t type);
  const std::string& wire() const { return wire_; }

 private:
  std::string wire_;
  size_t rdlength_at_ = 0;
};

// Query for `name`/`type`; with EDNS (payload 1232, DO set) when `edns`,
// plus a padding option to a 128-octet block when `padded`.
std::string Query(std::string_view name, uint16_t type, uint16_t id, bool edns, bool padded);
// Query with an EDNS Client Subnet option for 198.51.100.0/24.
std::string QueryWithClientSubnet();

// Responses.
std::string AnswerA();                // www.example.com A 192.0.2.1, EDNS
std::string AnswerCnameChain();       // www.shop.example -> 2 CNAMEs -> A + AAAA
std::string AnswerDname();            // host.old.example via DNAME to new.example
std::string AnswerManyAddresses();    // 64 A + 64 AAAA for pool.example.net
std::string AnswerHttpsWithHints();   // HTTPS with alpn, ipv4hint, ipv6hint + A
std::string AnswerNxdomain();         // NXDOMAIN with SOA (TTL 3600, MINIMUM 300)
std::string AnswerNodata();           // NOERROR, no answer, SOA (TTL 60, MINIMUM 600)
std::string AnswerMxSoaNs();          // MX and NS with compressed RDATA names
std::string AnswerEdnsOptions();      // EDE, cookie and padding options

// Every sample above with its name, for table tests and the seed corpus.
std::vector<std::pair<std::string, std::string>> AllSamples();

}  // namespace ztgate::resolver::dns::samples

#endif  // ZTGATE_TESTS_RESOLVER_DNS_SAMPLES_H_
