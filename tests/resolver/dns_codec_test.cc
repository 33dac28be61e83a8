// Tests of the DNS codec: real-world-shaped messages, round trips, every
// truncation of every sample, malformed names and counts, garbage input,
// the server's response builders and the answer walk.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "resolver/dns/answer.h"
#include "resolver/dns/constants.h"
#include "resolver/dns/edns.h"
#include "resolver/dns/message.h"
#include "resolver/dns/query.h"
#include "resolver/dns/response.h"
#include "resolver/dns/svcb.h"
#include "tests/resolver/dns_samples.h"

namespace ztgate::resolver::dns {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Message MustParse(std::string_view wire) {
  absl::StatusOr<Message> message = ParseMessage(wire);
  EXPECT_TRUE(message.ok()) << message.status();
  return message.ok() ? *message : Message();
}

Name MustName(std::string_view text) {
  absl::StatusOr<Name> name = Name::FromText(text);
  EXPECT_TRUE(name.ok()) << name.status();
  return name.ok() ? *name : Name();
}

std::vector<std::string> AddressStrings(const AnswerChain& chain) {
  std::vector<std::string> out;
  for (const LearnedAddress& learned : chain.addresses) out.push_back(learned.address.ToString());
  return out;
}

std::vector<std::string> NameStrings(const std::vector<Name>& names) {
  std::vector<std::string> out;
  for (const Name& name : names) out.push_back(name.ToString());
  return out;
}

// --- Names -------------------------------------------------------------

TEST(NameTest, CaseAndTrailingDotDoNotMatter) {
  EXPECT_EQ(MustName("WWW.Example.COM"), MustName("www.example.com."));
  EXPECT_EQ(MustName("WwW.eXample.com").ToString(), "www.example.com");
  EXPECT_EQ(MustName("WWW.Example.COM").wire(), std::string("\3WWW\7Example\3COM\0", 17));
}

TEST(NameTest, RootForms) {
  EXPECT_TRUE(MustName(".").is_root());
  EXPECT_EQ(Name().ToString(), ".");
}

TEST(NameTest, MalformedTextIsRejected) {
  for (std::string_view text : {"example.com..", ".example.com", "a..b", "", ".."}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(Name::FromText(text).ok());
  }
  EXPECT_FALSE(Name::FromText(std::string(64, 'a') + ".example").ok());
  EXPECT_TRUE(Name::FromText(std::string(63, 'a') + ".example").ok());
}

TEST(NameTest, LengthLimitIs255Octets) {
  // Four labels of 61 octets plus one of 9: 4 * 62 + 10 + 1 = 259 octets.
  const std::string label61(61, 'a');
  const std::string long_name = label61 + "." + label61 + "." + label61 + "." + label61;
  EXPECT_FALSE(Name::FromText(long_name + ".abcdefghi").ok());
  // 4 * 62 + 1 (label "abcde" needs 6) ... exactly 255: 248 + 6 + 1.
  EXPECT_TRUE(Name::FromText(long_name + ".abcde").ok());
  EXPECT_FALSE(Name::FromText(long_name + ".abcdef").ok());
}

TEST(NameTest, EscapesRoundTrip) {
  const Name name = MustName("a\\.b.example");
  EXPECT_EQ(name.label_count(), 2);
  EXPECT_EQ(name.ToString(), "a\\.b.example");
  EXPECT_EQ(MustName("\\000x.example").ToString(), "\\000x.example");
}

TEST(NameTest, SubdomainIsLabelWise) {
  EXPECT_TRUE(MustName("a.b.Example.com").IsSubdomainOf(MustName("example.COM")));
  EXPECT_TRUE(MustName("example.com").IsSubdomainOf(MustName("example.com")));
  EXPECT_FALSE(MustName("badexample.com").IsSubdomainOf(MustName("example.com")));
  EXPECT_TRUE(MustName("x.example").IsSubdomainOf(Name()));
}

TEST(NameTest, ReplaceSuffixForDname) {
  absl::StatusOr<Name> replaced =
      MustName("a.host.old.example").ReplaceSuffix(MustName("old.example"), MustName("new.net"));
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  EXPECT_EQ(replaced->ToString(), "a.host.new.net");
  EXPECT_EQ(replaced->label_count(), 4);
}

// --- Parsing real-world shapes -----------------------------------------

TEST(ParseTest, EverySampleParsesAndRoundTrips) {
  for (const auto& [label, wire] : samples::AllSamples()) {
    SCOPED_TRACE(label);
    const Message message = MustParse(wire);
    absl::StatusOr<std::string> encoded = EncodeMessage(message);
    ASSERT_TRUE(encoded.ok()) << encoded.status();
    const Message again = MustParse(*encoded);
    absl::StatusOr<std::string> encoded_again = EncodeMessage(again);
    ASSERT_TRUE(encoded_again.ok());
    EXPECT_EQ(*encoded, *encoded_again);
    EXPECT_EQ(again.answers.size(), message.answers.size());
    EXPECT_EQ(again.edns.has_value(), message.edns.has_value());
  }
}

TEST(ParseTest, SimpleAnswer) {
  const Message message = MustParse(samples::AnswerA());
  EXPECT_EQ(message.id, 0x1234);
  EXPECT_TRUE(message.has_flag(flag::kQr));
  EXPECT_EQ(message.rcode, rcode::kNoError);
  ASSERT_EQ(message.questions.size(), 1u);
  EXPECT_EQ(message.questions[0].name.ToString(), "www.example.com");
  ASSERT_EQ(message.answers.size(), 1u);
  EXPECT_EQ(message.answers[0].ttl, 300u);
  EXPECT_EQ(RdataAddress(message.answers[0])->ToString(), "192.0.2.1");
  ASSERT_TRUE(message.edns.has_value());
  EXPECT_EQ(message.edns->udp_payload_size, 1232);
  EXPECT_TRUE(message.additionals.empty());
}

TEST(ParseTest, CompressedRdataNamesAreExpanded) {
  const Message message = MustParse(samples::AnswerMxSoaNs());
  ASSERT_EQ(message.answers.size(), 2u);
  // Preference 20, then "backup.mail.example.org" uncompressed.
  EXPECT_EQ(message.answers[1].rdata,
            std::string("\0\x14\6backup\4mail\7example\3org\0", 27));
  ASSERT_EQ(message.authorities.size(), 1u);
  EXPECT_EQ(RdataName(message.authorities[0])->ToString(), "ns1.example.org");
}

TEST(ParseTest, EncodedRdataHoldsNoPointers) {
  const Message message = MustParse(samples::AnswerCnameChain());
  absl::StatusOr<std::string> wire = EncodeMessage(message);
  ASSERT_TRUE(wire.ok());
  // Re-parse and check the CNAME targets survive, then shift the message by
  // moving the answers into a new message with another question: RDATA
  // must not point into the old layout.
  Message moved;
  moved.flags = flag::kQr;
  moved.questions.push_back({MustName("other.example"), type::kA, dns_class::kIn});
  moved.answers = message.answers;
  absl::StatusOr<std::string> moved_wire = EncodeMessage(moved);
  ASSERT_TRUE(moved_wire.ok());
  const Message reparsed = MustParse(*moved_wire);
  EXPECT_EQ(RdataName(reparsed.answers[1])->ToString(), "edge7.cdn.example.net");
}

TEST(ParseTest, EdnsOptionsAndExtendedError) {
  const Message message = MustParse(samples::AnswerEdnsOptions());
  EXPECT_EQ(message.rcode, rcode::kServFail);
  ASSERT_TRUE(message.edns.has_value());
  ASSERT_EQ(message.edns->options.size(), 3u);
  EXPECT_EQ(message.edns->options[1].code, 10);
  std::optional<ExtendedErrorInfo> error = FindExtendedError(message);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->info_code, ede::kNoReachableAuthority);
  EXPECT_EQ(error->extra_text, "no servers");
}

TEST(ParseTest, ExtendedRcodeUsesOptBits) {
  Message message;
  message.flags = flag::kQr;
  message.rcode = rcode::kBadVers;
  message.edns.emplace();
  absl::StatusOr<std::string> wire = EncodeMessage(message);
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(MustParse(*wire).rcode, rcode::kBadVers);
  message.edns.reset();
  EXPECT_FALSE(EncodeMessage(message).ok());
}

TEST(ParseTest, HttpsParamsAndHints) {
  const Message message = MustParse(samples::AnswerHttpsWithHints());
  ASSERT_EQ(message.answers.size(), 2u);
  absl::StatusOr<SvcbRdata> svcb = ParseSvcb(message.answers[0].rdata);
  ASSERT_TRUE(svcb.ok()) << svcb.status();
  EXPECT_EQ(svcb->priority, 1);
  EXPECT_TRUE(svcb->target.is_root());
  ASSERT_EQ(svcb->params.size(), 3u);
  EXPECT_EQ(svcb->params[0].key, svc_param::kAlpn);
  std::vector<std::string> hints;
  for (const IpAddress& address : AddressHints(*svcb)) hints.push_back(address.ToString());
  EXPECT_THAT(hints, ElementsAre("192.0.2.10", "192.0.2.11", "2001:db8::10"));
}

// --- Malformed input ---------------------------------------------------

TEST(MalformedTest, EveryTruncationFails) {
  for (const auto& [label, wire] : samples::AllSamples()) {
    for (size_t size = 0; size < wire.size(); ++size) {
      SCOPED_TRACE(label + " cut at " + std::to_string(size));
      // A copy of exactly `size` octets, so AddressSanitizer detects any
      // read past the end.
      const std::string cut = wire.substr(0, size);
      EXPECT_FALSE(ParseMessage(cut).ok());
    }
  }
}

TEST(MalformedTest, RandomGarbageNeverCrashes) {
  std::mt19937 random(20261204);
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string wire(random() % 300, '\0');
    for (char& c : wire) c = static_cast<char>(random());
    if (ParseMessage(wire).ok()) ++parsed;
  }
  // Random headers claim thousands of records, so almost nothing parses.
  EXPECT_LT(parsed, 200);
}

TEST(MalformedTest, BitFlipsOfSamplesNeverCrash) {
  for (const auto& [label, wire] : samples::AllSamples()) {
    for (size_t i = 0; i < wire.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string flipped = wire;
        flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
        absl::StatusOr<Message> message = ParseMessage(flipped);
        if (message.ok()) {
          EXPECT_TRUE(EncodeMessage(*message).ok()) << label;
        }
      }
    }
  }
}

// A header claiming one question, then `body`.
std::string OneQuestion(std::string_view body) {
  samples::WireBuilder b;
  b.Header(1, 0, 1, 0, 0, 0);
  b.Bytes(body);
  return b.wire();
}

TEST(MalformedTest, CompressionLoopFails) {
  // The question name is a pointer to itself at offset 12.
  absl::StatusOr<Message> message = ParseMessage(OneQuestion(std::string("\xc0\x0c\0\1\0\1", 6)));
  ASSERT_FALSE(message.ok());
  EXPECT_THAT(message.status().message(), HasSubstr("does not point backwards"));
}

TEST(MalformedTest, TwoPointerLoopFails) {
  // "a" then pointer to 16, which is a pointer back to 12.
  samples::WireBuilder b;
  b.Header(1, 0, 1, 0, 0, 0);
  b.Bytes(std::string("\1a\xc0\x10\xc0\x0c\0\1\0\1", 10));
  EXPECT_FALSE(ParseMessage(b.wire()).ok());
}

TEST(MalformedTest, ForwardPointerFails) {
  absl::StatusOr<Message> message =
      ParseMessage(OneQuestion(std::string("\xc0\x12\0\1\0\1\1a\0", 9)));
  EXPECT_FALSE(message.ok());
}

TEST(MalformedTest, PointerPastEndFails) {
  EXPECT_FALSE(ParseMessage(OneQuestion(std::string("\xc3\xff\0\1\0\1", 6))).ok());
}

TEST(MalformedTest, LabelOver63Fails) {
  std::string body(1, static_cast<char>(64));
  body += std::string(64, 'a') + std::string("\0\0\1\0\1", 5);
  EXPECT_FALSE(ParseMessage(OneQuestion(body)).ok());
}

TEST(MalformedTest, NameOver255Fails) {
  std::string body;
  for (int i = 0; i < 5; ++i) body += std::string(1, 60) + std::string(60, 'a');
  body += std::string("\0\0\1\0\1", 5);
  absl::StatusOr<Message> message = ParseMessage(OneQuestion(body));
  ASSERT_FALSE(message.ok());
  EXPECT_THAT(message.status().message(), HasSubstr("255"));
}

TEST(MalformedTest, NameOver255ThroughPointersFails) {
  // Each name adds 60 octets and points at the previous one.
  samples::WireBuilder b;
  b.Header(1, 0, 1, 5, 0, 0);
  uint16_t previous = b.Name(std::string(60, 'a'));
  b.QuestionTail(1);
  for (int i = 0; i < 5; ++i) {
    const uint16_t current = b.NameWithPointer(std::string(60, 'b' + i), previous);
    b.BeginRecord(1, 1, 60);
    b.Bytes("\xc0\0\2\1");
    b.EndRdata();
    previous = current;
  }
  EXPECT_FALSE(ParseMessage(b.wire()).ok());
}

TEST(MalformedTest, CountsLargerThanMessageFail) {
  samples::WireBuilder b;
  b.Header(1, 0x8180, 1, 0xffff, 0, 0);
  b.Name("example.com");
  b.QuestionTail(1);
  absl::StatusOr<Message> message = ParseMessage(b.wire());
  ASSERT_FALSE(message.ok());
  EXPECT_THAT(message.status().message(), HasSubstr("exceed"));
}

TEST(MalformedTest, RdataLengthPastEndFails) {
  std::string wire = samples::AnswerA();
  // The A record's RDLENGTH sits 4 octets before its address; the OPT
  // record (11 octets) follows the address.
  const size_t rdlength_at = wire.size() - 11 - 4 - 2;
  wire[rdlength_at + 1] = 40;
  EXPECT_FALSE(ParseMessage(wire).ok());
}

TEST(MalformedTest, WrongAddressSizeFails) {
  std::string wire = samples::AnswerA();
  const size_t rdlength_at = wire.size() - 11 - 4 - 2;
  wire[rdlength_at + 1] = 3;
  EXPECT_FALSE(ParseMessage(wire).ok());
}

TEST(MalformedTest, TrailingOctetsFail) {
  EXPECT_FALSE(ParseMessage(samples::AnswerA() + "x").ok());
}

TEST(MalformedTest, SecondOptFails) {
  samples::WireBuilder b;
  b.Header(1, 0, 1, 0, 0, 2);
  b.Name("example.com");
  b.QuestionTail(1);
  for (int i = 0; i < 2; ++i) b.Bytes(std::string("\0\0\x29\x04\xd0\0\0\0\0\0\0", 11));
  absl::StatusOr<Message> message = ParseMessage(b.wire());
  ASSERT_FALSE(message.ok());
  EXPECT_THAT(message.status().message(), HasSubstr("more than one OPT"));
}

TEST(MalformedTest, EdnsOptionPastOptFails) {
  samples::WireBuilder b;
  b.Header(1, 0, 1, 0, 0, 1);
  b.Name("example.com");
  b.QuestionTail(1);
  // RDLENGTH 6: option 8 claiming 10 octets but carrying 2.
  b.Bytes(std::string("\0\0\x29\x04\xd0\0\0\0\0\0\x06\0\x08\0\x0a\1\1", 17));
  EXPECT_FALSE(ParseMessage(b.wire()).ok());
}

TEST(MalformedTest, SvcbKeysOutOfOrderFail) {
  SvcbRdata svcb;
  svcb.priority = 1;
  svcb.params = {{svc_param::kIpv4Hint, std::string("\xc0\0\2\1", 4)},
                 {svc_param::kAlpn, std::string("\2h2", 3)}};
  EXPECT_FALSE(ParseSvcb(EncodeSvcb(svcb)).ok());
  svcb.params = {{svc_param::kIpv4Hint, std::string("\xc0\0\2", 3)}};
  EXPECT_FALSE(ParseSvcb(EncodeSvcb(svcb)).ok());
}

// --- Queries -------------------------------------------------------------

TEST(QueryTest, ExtractsQuestionAndDoBit) {
  const Message query = MustParse(samples::Query("WWW.Example.COM", type::kAaaa, 7, true, true));
  absl::StatusOr<QueryInfo> info = ExtractQuery(query);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->qname, MustName("www.example.com"));
  EXPECT_EQ(info->qtype, type::kAaaa);
  EXPECT_EQ(info->qclass, dns_class::kIn);
  EXPECT_TRUE(info->dnssec_ok);
  EXPECT_TRUE(info->padded);
  EXPECT_FALSE(info->client_subnet.has_value());
}

TEST(QueryTest, ExtractsClientSubnet) {
  absl::StatusOr<QueryInfo> info = ExtractQuery(MustParse(samples::QueryWithClientSubnet()));
  ASSERT_TRUE(info.ok()) << info.status();
  ASSERT_TRUE(info->client_subnet.has_value());
  EXPECT_EQ(info->client_subnet->source_prefix_length, 24);
  EXPECT_EQ(info->client_subnet->address.ToString(), "198.51.100.0");
}

TEST(QueryTest, StripClientSubnetBeforeUpstream) {
  Message query = MustParse(samples::QueryWithClientSubnet());
  EXPECT_TRUE(StripClientSubnet(query));
  EXPECT_FALSE(StripClientSubnet(query));
  absl::StatusOr<std::string> wire = EncodeMessage(query, {.padding_block = kQueryPaddingBlock});
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(wire->size() % kQueryPaddingBlock, 0u);
  EXPECT_EQ(FindOption(*MustParse(*wire).edns, edns_option::kClientSubnet), nullptr);
}

TEST(QueryTest, MalformedClientSubnetIsFormErr) {
  const std::vector<std::string> bad = {
      std::string("\0\1\x21\0\1\2\3\4\5", 9),  // IPv4 /33.
      std::string("\0\1\x18\0\1\2", 6),        // /24 with 2 octets.
      std::string("\0\1\x17\0\1\2\3", 7),      // /23 with the last bit set.
      std::string("\0\3\x08\0\1", 5),          // Unknown family.
      std::string("\0\1\x18\x08\1\2\0", 7),    // Scope not 0 in a query.
  };
  for (const std::string& data : bad) {
    Message query = MustParse(samples::Query("a.example", type::kA, 1, true, false));
    query.edns->options.push_back({edns_option::kClientSubnet, data});
    absl::StatusOr<QueryInfo> info = ExtractQuery(query);
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(QueryTest, ErrorsMapToResponseCodes) {
  Message query = MustParse(samples::Query("a.example", type::kA, 9, true, false));
  Message two_questions = query;
  two_questions.questions.push_back(query.questions[0]);
  Message notify = query;
  notify.flags |= 4 << 11;  // Opcode NOTIFY.
  Message version1 = query;
  version1.edns->version = 1;

  const struct {
    const Message* query;
    uint16_t rcode;
  } cases[] = {{&two_questions, rcode::kFormErr},
               {&notify, rcode::kNotImp},
               {&version1, rcode::kBadVers}};
  for (const auto& c : cases) {
    absl::StatusOr<QueryInfo> info = ExtractQuery(*c.query);
    ASSERT_FALSE(info.ok());
    const Message response = QueryErrorResponse(*c.query, info.status());
    EXPECT_EQ(response.rcode, c.rcode);
    EXPECT_EQ(response.id, 9);
    EXPECT_TRUE(EncodeMessage(response).ok());
  }
}

TEST(QueryTest, LocalQueries) {
  QueryInfo info;
  info.qtype = type::kAny;
  EXPECT_EQ(ClassifyLocalQuery(info), LocalQuery::kAny);
  info.qtype = type::kAxfr;
  EXPECT_EQ(ClassifyLocalQuery(info), LocalQuery::kZoneTransfer);
  info.qtype = type::kIxfr;
  EXPECT_EQ(ClassifyLocalQuery(info), LocalQuery::kZoneTransfer);
  info.qtype = type::kHttps;
  EXPECT_EQ(ClassifyLocalQuery(info), LocalQuery::kNone);
}

// --- Responses -----------------------------------------------------------

Message EdnsQuery() {
  return MustParse(samples::Query("Blocked.Example", type::kHttps, 0xbeef, true, false));
}

void ExpectResponse(const Message& response, uint16_t rcode, std::optional<uint16_t> ede) {
  absl::StatusOr<std::string> wire = EncodeMessage(response);
  ASSERT_TRUE(wire.ok()) << wire.status();
  const Message parsed = MustParse(*wire);
  EXPECT_EQ(parsed.id, 0xbeef);
  EXPECT_TRUE(parsed.has_flag(flag::kQr));
  EXPECT_TRUE(parsed.has_flag(flag::kRd));
  EXPECT_EQ(parsed.rcode, rcode);
  ASSERT_EQ(parsed.questions.size(), 1u);
  // The question is echoed with the client's letter case.
  EXPECT_EQ(parsed.questions[0].name.wire(), std::string("\7Blocked\7Example\0", 17));
  std::optional<ExtendedErrorInfo> error = FindExtendedError(parsed);
  if (ede) {
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->info_code, *ede);
  } else {
    EXPECT_FALSE(error.has_value());
  }
}

TEST(ResponseTest, BlockedRefusedOrNxdomain) {
  ExpectResponse(BlockedResponse(EdnsQuery(), rcode::kRefused), rcode::kRefused, ede::kBlocked);
  ExpectResponse(BlockedResponse(EdnsQuery(), rcode::kNxDomain), rcode::kNxDomain, ede::kBlocked);
}

TEST(ResponseTest, ProhibitedAndUpstreamFailures) {
  ExpectResponse(ProhibitedResponse(EdnsQuery()), rcode::kRefused, ede::kProhibited);
  ExpectResponse(UpstreamFailureResponse(EdnsQuery(), ede::kNoReachableAuthority),
                 rcode::kServFail, ede::kNoReachableAuthority);
  ExpectResponse(UpstreamFailureResponse(EdnsQuery(), ede::kNetworkError), rcode::kServFail,
                 ede::kNetworkError);
  ExpectResponse(ZoneTransferResponse(EdnsQuery()), rcode::kRefused, ede::kNotSupported);
}

TEST(ResponseTest, NoEdnsMeansNoExtendedError) {
  Message query = EdnsQuery();
  query.edns.reset();
  const Message response = ProhibitedResponse(query);
  EXPECT_FALSE(response.edns.has_value());
  ExpectResponse(response, rcode::kRefused, std::nullopt);
}

TEST(ResponseTest, AnyGetsRfc8482Hinfo) {
  Message query = EdnsQuery();
  query.questions[0].type = type::kAny;
  const Message response = AnyMinimalResponse(query);
  ASSERT_EQ(response.answers.size(), 1u);
  EXPECT_EQ(response.answers[0].type, type::kHinfo);
  EXPECT_EQ(response.answers[0].rdata, std::string("\7RFC8482\0", 9));
  ExpectResponse(response, rcode::kNoError, std::nullopt);
}

TEST(ResponseTest, FormErrFromUnparsableBytes) {
  std::optional<std::string> response = FormErrResponse(std::string("\xab\xcd\x01\x00garbage", 11));
  ASSERT_TRUE(response.has_value());
  const Message parsed = MustParse(*response);
  EXPECT_EQ(parsed.id, 0xabcd);
  EXPECT_EQ(parsed.rcode, rcode::kFormErr);
  EXPECT_TRUE(parsed.has_flag(flag::kRd));
  EXPECT_TRUE(parsed.questions.empty());
  EXPECT_FALSE(FormErrResponse("x").has_value());
}

TEST(ResponseTest, PaddingToResponseBlock) {
  const Message response = BlockedResponse(EdnsQuery(), rcode::kRefused);
  absl::StatusOr<std::string> wire =
      EncodeMessage(response, {.padding_block = kResponsePaddingBlock});
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(wire->size(), kResponsePaddingBlock);
  // Padding an already padded message replaces the option.
  absl::StatusOr<std::string> again =
      EncodeMessage(MustParse(*wire), {.padding_block = kResponsePaddingBlock});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size(), kResponsePaddingBlock);
  const Message many = MustParse(samples::AnswerManyAddresses());
  absl::StatusOr<std::string> large = EncodeMessage(many, {.padding_block = kResponsePaddingBlock});
  ASSERT_TRUE(large.ok());
  EXPECT_EQ(large->size() % kResponsePaddingBlock, 0u);
}

TEST(ResponseTest, SetMessageId) {
  std::string wire = samples::AnswerA();
  SetMessageId(wire, 0x0102);
  EXPECT_EQ(MustParse(wire).id, 0x0102);
}

// --- Answer walk -------------------------------------------------------

TEST(AnswerTest, CnameChainAddresses) {
  const Message answer = MustParse(samples::AnswerCnameChain());
  const AnswerChain chain = WalkAnswer(answer, MustName("WWW.shop.example"));
  EXPECT_THAT(NameStrings(chain.names),
              ElementsAre("www.shop.example", "shop.cdn.example.net", "edge7.cdn.example.net"));
  EXPECT_THAT(AddressStrings(chain), ElementsAre("198.51.100.7", "2001:db8::7"));
  EXPECT_EQ(chain.addresses[0].ttl, 20u);
  EXPECT_FALSE(chain.broken);
}

TEST(AnswerTest, DnameSubstitution) {
  Message answer = MustParse(samples::AnswerDname());
  // Without the synthesized CNAME the DNAME alone must lead to the target.
  answer.answers.erase(answer.answers.begin() + 1);
  const AnswerChain chain = WalkAnswer(answer, MustName("host.old.example"));
  EXPECT_THAT(NameStrings(chain.names), ElementsAre("host.old.example", "host.new.example"));
  EXPECT_THAT(AddressStrings(chain), ElementsAre("192.0.2.80"));
}

TEST(AnswerTest, ManyAddresses) {
  const AnswerChain chain =
      WalkAnswer(MustParse(samples::AnswerManyAddresses()), MustName("pool.example.net"));
  ASSERT_EQ(chain.addresses.size(), 128u);
  EXPECT_EQ(chain.addresses[0].address.ToString(), "198.18.0.1");
  EXPECT_EQ(chain.addresses[127].address.ToString(), "2001:db8::40");
}

TEST(AnswerTest, HttpsHintsAreCollected) {
  const AnswerChain chain =
      WalkAnswer(MustParse(samples::AnswerHttpsWithHints()), MustName("svc.example.com"));
  EXPECT_THAT(AddressStrings(chain),
              ElementsAre("192.0.2.10", "192.0.2.11", "2001:db8::10", "192.0.2.10"));
  EXPECT_EQ(chain.addresses[0].type, type::kHttps);
}

TEST(AnswerTest, RecordsOutsideTheChainAreIgnored) {
  Message answer = MustParse(samples::AnswerA());
  ResourceRecord stray = answer.answers[0];
  stray.name = MustName("unrelated.example");
  stray.rdata = std::string("\xc6\x33\x64\x63", 4);
  answer.answers.push_back(stray);
  EXPECT_THAT(AddressStrings(WalkAnswer(answer, MustName("www.example.com"))),
              ElementsAre("192.0.2.1"));
}

TEST(AnswerTest, UnjudgedAddressesAreRemoved) {
  Message answer = MustParse(samples::AnswerHttpsWithHints());
  // An A record outside the chain in the answer section, an HTTPS record
  // of another name with hints, and a target's address and HTTPS record
  // in the additional section.
  ResourceRecord stray = answer.answers[1];
  stray.name = MustName("unrelated.example");
  answer.answers.push_back(stray);
  ResourceRecord other_https = answer.answers[0];
  other_https.name = MustName("other.example");
  answer.answers.push_back(other_https);
  ResourceRecord target_address = answer.answers[1];
  target_address.name = MustName("pool.svc.example.com");
  answer.additionals.push_back(target_address);
  ResourceRecord target_https = answer.answers[0];
  target_https.name = MustName("pool.svc.example.com");
  answer.additionals.push_back(target_https);

  const AnswerChain chain = WalkAnswer(answer, MustName("svc.example.com"));
  EXPECT_EQ(RemoveUnjudgedAddresses(answer, chain), 4);
  // The chain's own HTTPS hints and A record stay.
  EXPECT_THAT(AddressStrings(WalkAnswer(answer, MustName("svc.example.com"))),
              ElementsAre("192.0.2.10", "192.0.2.11", "2001:db8::10", "192.0.2.10"));
  ASSERT_EQ(answer.answers.size(), 3u);
  absl::StatusOr<SvcbRdata> other = ParseSvcb(answer.answers[2].rdata);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(AddressHints(*other).empty()) << "hints of a name outside the chain go";
  EXPECT_EQ(other->params.size(), 1u) << "its alpn stays";
  ASSERT_EQ(answer.additionals.size(), 1u);
  EXPECT_EQ(answer.additionals[0].type, type::kHttps);
  absl::StatusOr<SvcbRdata> target = ParseSvcb(answer.additionals[0].rdata);
  ASSERT_TRUE(target.ok());
  EXPECT_TRUE(AddressHints(*target).empty());
}

TEST(AnswerTest, CnameLoopStops) {
  Message answer;
  for (auto [from, to] : {std::pair{"a.example", "b.example"}, {"b.example", "a.example"}}) {
    ResourceRecord record;
    record.name = MustName(from);
    record.type = type::kCname;
    record.ttl = 60;
    record.rdata = std::string(MustName(to).wire());
    answer.answers.push_back(record);
  }
  const AnswerChain chain = WalkAnswer(answer, MustName("a.example"));
  EXPECT_TRUE(chain.broken);
  EXPECT_EQ(chain.names.size(), 2u);
}

TEST(AnswerTest, CapTtls) {
  Message answer = MustParse(samples::AnswerCnameChain());
  CapTtls(answer, 30);
  std::vector<uint32_t> ttls;
  for (const ResourceRecord& record : answer.answers) ttls.push_back(record.ttl);
  EXPECT_THAT(ttls, ElementsAre(30, 30, 20, 20));
}

TEST(AnswerTest, StripAddressHints) {
  Message answer = MustParse(samples::AnswerHttpsWithHints());
  EXPECT_EQ(StripAddressHints(answer), 1);
  absl::StatusOr<SvcbRdata> svcb = ParseSvcb(answer.answers[0].rdata);
  ASSERT_TRUE(svcb.ok());
  ASSERT_EQ(svcb->params.size(), 1u);
  EXPECT_EQ(svcb->params[0].key, svc_param::kAlpn);
  EXPECT_TRUE(AddressHints(*svcb).empty());
  EXPECT_TRUE(EncodeMessage(answer).ok());
}

}  // namespace
}  // namespace ztgate::resolver::dns
