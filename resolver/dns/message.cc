// Parsing and encoding DNS messages; see message.h for the contract.
#include "resolver/dns/message.h"

#include "absl/container/flat_hash_map.h"
#include "common/str_cat.h"
#include "resolver/dns/svcb.h"
#include "resolver/dns/wire_reader.h"

namespace ztgate::resolver::dns {
namespace {

// Smallest encodings, used to reject counts the message cannot hold before
// anything is reserved: root name, type and class; plus TTL and RDLENGTH.
constexpr size_t kMinQuestionSize = 5;
constexpr size_t kMinRecordSize = 11;
// Compression pointers hold 14-bit offsets (RFC 1035 section 4.1.4).
constexpr size_t kMaxPointerOffset = 0x3fff;

enum class Section { kAnswer, kAuthority, kAdditional };

// Layout of the names in a type's RDATA: octets before the first name, the
// number of names, and the fixed octets after them.
struct RdataLayout {
  size_t prefix = 0;
  int names = 0;
  size_t suffix = 0;
  bool rest_is_opaque = false;  // SVCB and HTTPS: SvcParams follow the name.
};

std::optional<RdataLayout> LayoutOf(uint16_t type) {
  switch (type) {
    case type::kNs:
    case type::kMd:
    case type::kMf:
    case type::kCname:
    case type::kMb:
    case type::kMg:
    case type::kMr:
    case type::kPtr:
    case type::kDname:
      return RdataLayout{0, 1, 0, false};
    case type::kSoa:
      return RdataLayout{0, 2, 20, false};
    case type::kMinfo:
      return RdataLayout{0, 2, 0, false};
    case type::kMx:
      return RdataLayout{2, 1, 0, false};
    case type::kSrv:
      return RdataLayout{6, 1, 0, false};
    case type::kSvcb:
    case type::kHttps:
      return RdataLayout{2, 1, 0, true};
    default:
      return std::nullopt;
  }
}

absl::Status CheckFixedSize(uint16_t type, size_t size) {
  if (type == type::kA && size != 4) {
    return absl::InvalidArgumentError(StrCat("A record with ", size, " octets of RDATA"));
  }
  if (type == type::kAaaa && size != 16) {
    return absl::InvalidArgumentError(StrCat("AAAA record with ", size, " octets of RDATA"));
  }
  return absl::OkStatus();
}

// Reads RDATA of `length` octets at the reader's position into uncompressed
// form.
absl::Status ReadRdata(std::string_view wire, WireReader& reader, uint16_t type,
                       uint16_t length, std::string& rdata) {
  const size_t start = reader.offset();
  if (length > reader.remaining()) {
    return absl::InvalidArgumentError(StrCat("RDATA length ", length, " at offset ", start,
                                             " runs past the end"));
  }
  const size_t end = start + length;
  if (absl::Status s = CheckFixedSize(type, length); !s.ok()) return s;
  const std::optional<RdataLayout> layout = LayoutOf(type);
  WireReader rdata_reader(wire, start, end);
  if (layout) {
    std::string_view fixed;
    if (absl::Status s = rdata_reader.ReadBytes(layout->prefix, fixed); !s.ok()) return s;
    rdata.assign(fixed);
    for (int i = 0; i < layout->names; ++i) {
      Name name;
      if (absl::Status s = rdata_reader.ReadName(name); !s.ok()) return s;
      rdata += name.wire();
    }
    const size_t rest = layout->rest_is_opaque ? rdata_reader.remaining() : layout->suffix;
    if (absl::Status s = rdata_reader.ReadBytes(rest, fixed); !s.ok()) return s;
    rdata += fixed;
    if (rdata_reader.remaining() != 0) {
      return absl::InvalidArgumentError(
          StrCat("RDATA of type ", type, " at offset ", start, " has trailing octets"));
    }
  } else {
    std::string_view bytes;
    if (absl::Status s = rdata_reader.ReadBytes(length, bytes); !s.ok()) return s;
    rdata.assign(bytes);
  }
  if (type == type::kSvcb || type == type::kHttps) {
    if (absl::Status s = ParseSvcb(rdata).status(); !s.ok()) return s;
  }
  std::string_view skipped;
  return reader.ReadBytes(length, skipped);
}

absl::Status ReadEdnsOptions(std::string_view rdata, Edns& edns) {
  WireReader reader(rdata);
  while (reader.remaining() > 0) {
    EdnsOption option;
    uint16_t length = 0;
    if (absl::Status s = reader.ReadU16(option.code); !s.ok()) return s;
    if (absl::Status s = reader.ReadU16(length); !s.ok()) return s;
    std::string_view data;
    if (absl::Status s = reader.ReadBytes(length, data); !s.ok()) {
      return absl::InvalidArgumentError(
          StrCat("EDNS option ", option.code, " runs past the OPT record"));
    }
    option.data.assign(data);
    edns.options.push_back(std::move(option));
  }
  return absl::OkStatus();
}

// RFC 6891 section 6.1.2-6.1.3: the OPT record is owned by the root, its
// class is the UDP payload size and its TTL holds the extended rcode,
// version and flags.
absl::Status ReadOpt(const ResourceRecord& record, Message& message) {
  if (message.edns) return absl::InvalidArgumentError("more than one OPT record");
  if (!record.name.is_root()) return absl::InvalidArgumentError("OPT record not owned by root");
  Edns edns;
  edns.udp_payload_size = record.dns_class;
  edns.version = static_cast<uint8_t>((record.ttl >> 16) & 0xff);
  edns.dnssec_ok = (record.ttl & 0x8000) != 0;
  edns.other_flags = static_cast<uint16_t>(record.ttl & 0x7fff);
  if (absl::Status s = ReadEdnsOptions(record.rdata, edns); !s.ok()) return s;
  message.rcode |= static_cast<uint16_t>(((record.ttl >> 24) & 0xff) << 4);
  message.edns = std::move(edns);
  return absl::OkStatus();
}

absl::Status ReadRecord(std::string_view wire, WireReader& reader, Section section,
                        Message& message) {
  ResourceRecord record;
  uint16_t length = 0;
  if (absl::Status s = reader.ReadName(record.name); !s.ok()) return s;
  if (absl::Status s = reader.ReadU16(record.type); !s.ok()) return s;
  if (absl::Status s = reader.ReadU16(record.dns_class); !s.ok()) return s;
  if (absl::Status s = reader.ReadU32(record.ttl); !s.ok()) return s;
  if (absl::Status s = reader.ReadU16(length); !s.ok()) return s;
  if (absl::Status s = ReadRdata(wire, reader, record.type, length, record.rdata); !s.ok()) {
    return s;
  }
  if (record.type == type::kOpt) {
    if (section != Section::kAdditional) {
      return absl::InvalidArgumentError("OPT record outside the additional section");
    }
    return ReadOpt(record, message);
  }
  switch (section) {
    case Section::kAnswer:
      message.answers.push_back(std::move(record));
      break;
    case Section::kAuthority:
      message.authorities.push_back(std::move(record));
      break;
    case Section::kAdditional:
      message.additionals.push_back(std::move(record));
      break;
  }
  return absl::OkStatus();
}

absl::Status CheckCounts(size_t body_size, size_t questions, size_t records) {
  if (questions * kMinQuestionSize + records * kMinRecordSize > body_size) {
    return absl::InvalidArgumentError(
        StrCat("section counts (", questions, " questions, ", records,
               " records) exceed the message size"));
  }
  return absl::OkStatus();
}

// Writes names with compression against the names written so far. Keys are
// canonical wire suffixes, so a pointer may refer to a suffix written with
// different letter case, as DNS allows.
class NameCompressor {
 public:
  void Write(const Name& name, std::string& out) {
    const std::string_view canonical = name.canonical();
    size_t offset = 0;
    while (canonical[offset] != 0) {
      const std::string_view suffix = std::string_view(canonical).substr(offset);
      auto it = offsets_.find(ToAbsl(suffix));
      if (it != offsets_.end()) {
        AppendU16(out, static_cast<uint16_t>(0xc000 | it->second));
        return;
      }
      if (out.size() <= kMaxPointerOffset) {
        offsets_.emplace(std::string(suffix), static_cast<uint16_t>(out.size()));
      }
      const size_t length = static_cast<uint8_t>(canonical[offset]);
      out.append(name.wire().substr(offset, 1 + length));
      offset += 1 + length;
    }
    out.push_back('\0');
  }

 private:
  absl::flat_hash_map<std::string, uint16_t> offsets_;
};

void WriteRecord(const ResourceRecord& record, NameCompressor& names, std::string& out,
                 std::vector<size_t>* ttl_offsets) {
  names.Write(record.name, out);
  AppendU16(out, record.type);
  AppendU16(out, record.dns_class);
  if (ttl_offsets) ttl_offsets->push_back(out.size());
  AppendU32(out, record.ttl);
  AppendU16(out, static_cast<uint16_t>(record.rdata.size()));
  out += record.rdata;
}

void WriteOpt(const Edns& edns, uint16_t rcode, std::string& out) {
  out.push_back('\0');
  AppendU16(out, type::kOpt);
  AppendU16(out, edns.udp_payload_size);
  const uint32_t ttl = (uint32_t{static_cast<uint8_t>(rcode >> 4)} << 24) |
                       (uint32_t{edns.version} << 16) | (edns.dnssec_ok ? 0x8000u : 0u) |
                       (edns.other_flags & 0x7fffu);
  AppendU32(out, ttl);
  size_t length = 0;
  for (const EdnsOption& option : edns.options) length += 4 + option.data.size();
  AppendU16(out, static_cast<uint16_t>(length));
  for (const EdnsOption& option : edns.options) {
    AppendU16(out, option.code);
    AppendU16(out, static_cast<uint16_t>(option.data.size()));
    out += option.data;
  }
}

absl::StatusOr<std::string> EncodeUnpadded(const Message& message, const Edns* edns,
                                           std::vector<size_t>* ttl_offsets) {
  if (message.rcode > 0xf && edns == nullptr) {
    return absl::InvalidArgumentError(StrCat("rcode ", message.rcode, " needs EDNS"));
  }
  if (message.rcode > 0xfff) {
    return absl::InvalidArgumentError(StrCat("rcode ", message.rcode, " is over 12 bits"));
  }
  const size_t additional_count = message.additionals.size() + (edns ? 1 : 0);
  if (message.questions.size() > 0xffff || message.answers.size() > 0xffff ||
      message.authorities.size() > 0xffff || additional_count > 0xffff) {
    return absl::InvalidArgumentError("section over 65535 entries");
  }
  std::string out;
  out.reserve(512);
  AppendU16(out, message.id);
  AppendU16(out, static_cast<uint16_t>((message.flags & 0xfff0) | (message.rcode & 0xf)));
  AppendU16(out, static_cast<uint16_t>(message.questions.size()));
  AppendU16(out, static_cast<uint16_t>(message.answers.size()));
  AppendU16(out, static_cast<uint16_t>(message.authorities.size()));
  AppendU16(out, static_cast<uint16_t>(additional_count));

  NameCompressor names;
  for (const Question& question : message.questions) {
    names.Write(question.name, out);
    AppendU16(out, question.type);
    AppendU16(out, question.dns_class);
  }
  for (const ResourceRecord& record : message.answers) {
    WriteRecord(record, names, out, ttl_offsets);
  }
  for (const ResourceRecord& record : message.authorities) {
    WriteRecord(record, names, out, ttl_offsets);
  }
  for (const ResourceRecord& record : message.additionals) {
    WriteRecord(record, names, out, ttl_offsets);
  }
  if (edns) WriteOpt(*edns, message.rcode, out);
  if (out.size() > kMaxMessageSize) {
    return absl::InvalidArgumentError(StrCat("message of ", out.size(), " octets is over 65535"));
  }
  return out;
}

}  // namespace

absl::StatusOr<Message> ParseMessage(std::string_view wire) {
  WireReader reader(wire);
  Message message;
  uint16_t flags = 0;
  uint16_t counts[4] = {};
  if (wire.size() < kHeaderSize) {
    return absl::InvalidArgumentError(
        StrCat("message of ", wire.size(), " octets is shorter than the 12-octet header"));
  }
  (void)reader.ReadU16(message.id);
  (void)reader.ReadU16(flags);
  for (uint16_t& count : counts) (void)reader.ReadU16(count);
  message.flags = flags & 0xfff0;
  message.rcode = flags & 0xf;
  const size_t records = size_t{counts[1]} + counts[2] + counts[3];
  if (absl::Status s = CheckCounts(reader.remaining(), counts[0], records); !s.ok()) return s;

  message.questions.reserve(counts[0]);
  for (int i = 0; i < counts[0]; ++i) {
    Question question;
    if (absl::Status s = reader.ReadName(question.name); !s.ok()) return s;
    if (absl::Status s = reader.ReadU16(question.type); !s.ok()) return s;
    if (absl::Status s = reader.ReadU16(question.dns_class); !s.ok()) return s;
    message.questions.push_back(std::move(question));
  }
  message.answers.reserve(counts[1]);
  message.authorities.reserve(counts[2]);
  message.additionals.reserve(counts[3]);
  const Section sections[3] = {Section::kAnswer, Section::kAuthority, Section::kAdditional};
  for (int s_index = 0; s_index < 3; ++s_index) {
    for (int i = 0; i < counts[s_index + 1]; ++i) {
      if (absl::Status s = ReadRecord(wire, reader, sections[s_index], message); !s.ok()) {
        return s;
      }
    }
  }
  if (reader.remaining() != 0) {
    return absl::InvalidArgumentError(
        StrCat(reader.remaining(), " trailing octets after the last record"));
  }
  return message;
}

absl::StatusOr<std::string> EncodeMessage(const Message& message, const EncodeOptions& options) {
  if (options.padding_block == 0 || !message.edns) {
    return EncodeUnpadded(message, message.edns ? &*message.edns : nullptr, options.ttl_offsets);
  }
  Edns edns = *message.edns;
  std::erase_if(edns.options,
                [](const EdnsOption& option) { return option.code == edns_option::kPadding; });
  edns.options.push_back({edns_option::kPadding, ""});
  absl::StatusOr<std::string> unpadded = EncodeUnpadded(message, &edns, nullptr);
  if (!unpadded.ok()) return unpadded.status();
  const size_t remainder = unpadded->size() % options.padding_block;
  const size_t padding = remainder == 0 ? 0 : options.padding_block - remainder;
  if (unpadded->size() + padding > kMaxMessageSize) {
    edns.options.pop_back();  // No room to pad: send the message unpadded.
  } else {
    edns.options.back().data.assign(padding, '\0');
  }
  return EncodeUnpadded(message, &edns, options.ttl_offsets);
}

void SetMessageId(std::string& wire, uint16_t id) {
  wire[0] = static_cast<char>(id >> 8);
  wire[1] = static_cast<char>(id & 0xff);
}

}  // namespace ztgate::resolver::dns
