#!/usr/bin/perl
# An SMSC built on Net::SMPP (Debian libnet-smpp-perl), for tests/interop: a peer this project
# did not write. Same behaviour and report format as npm_smsc.js: listens on 127.0.0.1 port 0,
# accepts binds with the given credentials, answers submit_sm with a message id, sends a
# delivery receipt for each submit that asks for one, answers enquire_link and sends its own,
# reassembles multipart messages (UDH IEI 0x00/0x08, SAR TLVs, message_payload), drops every
# connection on SIGUSR2, and reports what it saw as JSON lines on stdout. With --mo-file it
# also sends the messages recipients write (MO, see load_mos) once, on the first
# receiver-capable bind.
use strict;
use warnings;
use Encode qw(decode encode);
use IO::Select;
use JSON::PP;
use Net::SMPP;
use Time::HiRes qw(time);

my %args = (system_id => 'interop', password => 'secret', enquire_link_ms => 0,
            receipt_delay_ms => 20, mo_file => '');
while (@ARGV) {
  my ($k, $v) = (shift @ARGV, shift @ARGV);
  if    ($k eq '--system-id')        { $args{system_id} = $v }
  elsif ($k eq '--password')         { $args{password} = $v }
  elsif ($k eq '--enquire-link-ms')  { $args{enquire_link_ms} = $v }
  elsif ($k eq '--receipt-delay-ms') { $args{receipt_delay_ms} = $v }
  elsif ($k eq '--mo-file')          { $args{mo_file} = $v }
  else { print STDERR "netsmpp_smsc: unknown option $k\n"; exit 2 }
}

$| = 1;
my $json = JSON::PP->new->canonical->utf8;
sub report { print $json->encode($_[0]), "\n" }

# GSM 03.38 default alphabet, unpacked septets as SMPP carries them (escape table omitted:
# the tests send none), to report text as the handset would show it.
my @gsm = split //, "\@\x{a3}\$\x{a5}\x{e8}\x{e9}\x{f9}\x{ec}\x{f2}\x{c7}\n\x{d8}\x{f8}\r\x{c5}\x{e5}"
  . "\x{394}_\x{3a6}\x{393}\x{39b}\x{3a9}\x{3a0}\x{3a8}\x{3a3}\x{398}\x{39e}\x{1b}\x{c6}\x{e6}\x{df}\x{c9}"
  . " !\"#\x{a4}%&'()*+,-./0123456789:;<=>?"
  . "\x{a1}ABCDEFGHIJKLMNOPQRSTUVWXYZ\x{c4}\x{d6}\x{d1}\x{dc}\x{a7}"
  . "\x{bf}abcdefghijklmnopqrstuvwxyz\x{e4}\x{f6}\x{f1}\x{fc}\x{e0}";

sub decode_text {
  my ($bytes, $dcs) = @_;
  return decode('UTF-16BE', $bytes) if ($dcs & 0x0f) == 0x08;
  return decode('ISO-8859-1', $bytes) if ($dcs & 0x0f) == 0x03;
  return join '', map { $gsm[$_ & 0x7f] } unpack('C*', $bytes);
}

# Which part of which message a submit_sm is, and its user data without the UDH.
sub part_of {
  my ($pdu) = @_;
  my $data = defined $pdu->{message_payload} ? $pdu->{message_payload} : $pdu->{short_message};
  my %p = (method => defined $pdu->{message_payload} ? 'payload' : 'single',
           ref => 0, total => 1, seq => 1);
  if (($pdu->{esm_class} & 0x40) && length $data) {
    my $udhl = unpack 'C', $data;
    my $udh = substr $data, 1, $udhl;
    $data = substr $data, 1 + $udhl;
    while (length($udh) >= 2) {
      my ($iei, $len) = unpack 'CC', $udh;
      my @v = unpack 'C*', substr($udh, 2, $len);
      if ($iei == 0x00 && $len == 3) {
        @p{qw(method ref total seq)} = ('udh8', @v);
      } elsif ($iei == 0x08 && $len == 4) {
        @p{qw(method ref total seq)} = ('udh16', ($v[0] << 8) | $v[1], $v[2], $v[3]);
      }
      substr($udh, 0, 2 + $len) = '';
    }
  }
  if (defined $pdu->{sar_msg_ref_num}) {
    @p{qw(method ref total seq)} = ('sar', unpack('n', $pdu->{sar_msg_ref_num}),
                                    unpack('C', $pdu->{sar_total_segments}),
                                    unpack('C', $pdu->{sar_segment_seqnum}));
  }
  $p{data} = $data;
  return \%p;
}

# --mo-file: one MO per JSON line, {"from", "to", "text", "coding": "gsm7" (default) | "ucs2" |
# "latin1", "parts": N (default 1)}, encoded as npm_smsc.js does: gsm7 as GSM 03.38 unpacked
# septets (data_coding 0; only characters GSM 03.38 and ASCII code alike, so the bytes are the
# ASCII ones), ucs2 as UTF-16BE (data_coding 8), latin1 (data_coding 3); the bytes split into
# N parts (UCS-2 on 2-byte boundaries, so a surrogate pair may straddle two parts), each with
# a UDH concatenation element (IEI 0x00, 8-bit reference) and esm_class 0x40.
my %codings = (
  gsm7   => [0x00, 1, sub { $_[0] =~ m{^[ !"#%&'()*+,\-./0-9:;<=>?A-Za-z]*$} ? $_[0] : undef }],
  latin1 => [0x03, 1, sub { $_[0] =~ /^[\x00-\xff]*$/ ? encode('ISO-8859-1', $_[0]) : undef }],
  ucs2   => [0x08, 2, sub { encode('UTF-16BE', $_[0]) }],
);

sub load_mos {
  my ($path) = @_;
  my @mos;
  open my $fh, '<:raw', $path or die "netsmpp_smsc: --mo-file $path: $!\n";
  while (my $line = <$fh>) {
    next if $line !~ /\S/;
    my $m = eval { $json->decode($line) } or die "netsmpp_smsc: --mo-file: bad line: $line";
    my $c = $codings{$m->{coding} // 'gsm7'} or die "netsmpp_smsc: --mo-file: bad coding: $line";
    my ($data_coding, $unit, $encode) = @$c;
    my $total = $m->{parts} // 1;
    my $bytes = $encode->($m->{text} // '');
    die "netsmpp_smsc: --mo-file: cannot encode: $line"
      if !defined $bytes || $total < 1 || $total > 255;
    my $size = int((length($bytes) / $unit + $total - 1) / $total) * $unit;
    my @parts = map { $_ * $size < length $bytes ? substr($bytes, $_ * $size, $size) : '' }
                0 .. $total - 1;
    push @mos, {from => $m->{from}, to => $m->{to}, data_coding => $data_coding,
                parts => \@parts};
  }
  return \@mos;
}

my $mos = $args{mo_file} ne '' ? eval { load_mos($args{mo_file}) } : [];
if (!$mos) { print STDERR $@; exit 2 }
my $mos_sent = 0;

my $listener = Net::SMPP->new_listen('127.0.0.1', port => 0, smpp_version => 0x34)
  or die "netsmpp_smsc: listen: $!";
report({event => 'listening', port => $listener->sockport});

my $select = IO::Select->new($listener);
my %conns;       # fileno -> {conn, sock, bound, next_enquire}
my @timers;      # [due, sub]
my @waiting;     # receipts whose connection closed before they were sent
my %pending;     # message key -> {total, parts => [], ids => []}
my %receipt_of;  # "fileno:seq" -> message id, to report the ack
my %mo_of;       # "fileno:seq" -> which part of which MO, to report the ack
my $next_conn = 1;
my $next_id = 700000;
my $drop = 0;
$SIG{USR2} = sub { $drop = 1 };
$SIG{TERM} = sub { exit 0 };
$SIG{PIPE} = 'IGNORE';

sub close_conn {
  my ($c, $event) = @_;
  report({event => $event, conn => $c->{conn}}) if $event eq 'dropped';
  $select->remove($c->{sock});
  delete $conns{fileno $c->{sock}};
  close $c->{sock};
  report({event => 'closed', conn => $c->{conn}});
}

sub send_receipt {
  my ($c, $r) = @_;
  if (!$c || !$conns{$c->{fd}} || !$c->{bound}) {
    ($c) = grep { $_->{bound} } values %conns;
    if (!$c) { push @waiting, $r; return }
  }
  my @t = gmtime;
  my $d = sprintf '%02d%02d%02d%02d%02d', $t[5] % 100, $t[4] + 1, $t[3], $t[2], $t[1];
  my $seq = $c->{sock}->deliver_sm(
    source_addr_ton => $r->{dest_ton}, source_addr_npi => $r->{dest_npi},
    source_addr => $r->{dest}, dest_addr_ton => $r->{source_ton},
    dest_addr_npi => $r->{source_npi}, destination_addr => $r->{source},
    esm_class => 0x04, data_coding => 0,
    short_message => "id:$r->{id} sub:001 dlvrd:001 submit date:$d done date:$d "
                   . "stat:DELIVRD err:000 text:",
    receipted_message_id => "$r->{id}\0", message_state => pack('C', 2), async => 1);
  $receipt_of{"$c->{fd}:$seq"} = $r->{id};
  report({event => 'receipt_sent', conn => $c->{conn}, message_id => $r->{id}});
}

# Every MO of --mo-file, each part a deliver_sm; each deliver_sm_resp is reported as mo_acked
# (seq: the deliver_sm's sequence_number; part/parts: which part of MO number `index`).
# Net::SMPP sends short_message as given: the UDH goes in front of the bytes here.
sub send_mos {
  my ($c) = @_;
  for my $index (0 .. $#$mos) {
    my $mo = $mos->[$index];
    my $total = @{$mo->{parts}};
    for my $k (1 .. $total) {
      my $udh = $total > 1 ? pack('C6', 5, 0x00, 3, ($index + 1) & 0xff, $total, $k) : '';
      my $esm_class = $total > 1 ? 0x40 : 0;
      my $seq = $c->{sock}->deliver_sm(
        source_addr_ton => 1, source_addr_npi => 1, source_addr => $mo->{from},
        dest_addr_ton => 0, dest_addr_npi => 1, destination_addr => $mo->{to},
        esm_class => $esm_class, data_coding => $mo->{data_coding},
        short_message => $udh . $mo->{parts}[$k - 1], async => 1);
      my %about = (conn => $c->{conn}, index => $index, from => $mo->{from}, to => $mo->{to},
                   part => $k, parts => $total);
      $mo_of{"$c->{fd}:$seq"} = \%about;
      report({event => 'mo_sent', %about, seq => $seq, esm_class => $esm_class,
              data_coding => $mo->{data_coding}});
    }
  }
}

sub handle_pdu {
  my ($c, $pdu) = @_;
  my $s = $c->{sock};
  my $cmd = $pdu->{cmd};
  my %binds = (0x09 => 'bind_transceiver', 0x02 => 'bind_transmitter', 0x01 => 'bind_receiver');
  if (my $command = $binds{$cmd}) {
    my $status = $c->{bound} ? 0x05
               : $pdu->{system_id} ne $args{system_id} ? 0x0F
               : $pdu->{password} ne $args{password} ? 0x0E : 0;
    # Reports go out before the response, so a test that saw the response finds the report.
    report({event => 'bind', conn => $c->{conn}, command => $command,
            system_id => $pdu->{system_id}, status => $status});
    my $resp = "${command}_resp";
    $s->$resp(seq => $pdu->{seq}, status => $status, system_id => 'netsmpp-smsc');
    return if $status;
    $c->{bound} = 1;
    $c->{next_enquire} = time + $args{enquire_link_ms} / 1000 if $args{enquire_link_ms} > 0;
    send_receipt($c, shift @waiting) while @waiting;
    if ($command ne 'bind_transmitter' && !$mos_sent) {
      $mos_sent = 1;
      send_mos($c);
    }
  } elsif ($cmd == 0x04) {  # submit_sm
    my $id = $next_id++;
    my $p = part_of($pdu);
    report({event => 'submit', conn => $c->{conn}, message_id => "$id",
            source => $pdu->{source_addr}, dest => $pdu->{destination_addr},
            data_coding => $pdu->{data_coding}, esm_class => $pdu->{esm_class},
            registered_delivery => $pdu->{registered_delivery},
            map { $_ => $p->{$_} } qw(method ref total seq)});
    my $key = join '|', $pdu->{source_addr}, $pdu->{destination_addr}, $p->{method}, $p->{ref};
    my $m;
    if ($p->{total} <= 1) {
      $m = {total => 1, parts => [$p->{data}], ids => ["$id"]};
    } else {
      $m = $pending{$key} ||= {total => $p->{total}, parts => [(undef) x $p->{total}], ids => []};
      if ($p->{seq} >= 1 && $p->{seq} <= $m->{total} && !defined $m->{parts}[$p->{seq} - 1]) {
        $m->{parts}[$p->{seq} - 1] = $p->{data};
      } else {
        report({event => 'reassembly_error', key => $key, seq => $p->{seq}});
      }
      push @{$m->{ids}}, "$id";
    }
    if (!grep { !defined } @{$m->{parts}}) {
      delete $pending{$key};
      report({event => 'message', conn => $c->{conn}, method => $p->{method},
              parts => $m->{total}, source => $pdu->{source_addr},
              dest => $pdu->{destination_addr}, data_coding => $pdu->{data_coding},
              text => decode_text(join('', @{$m->{parts}}), $pdu->{data_coding}),
              message_ids => $m->{ids}});
    }
    $s->submit_sm_resp(seq => $pdu->{seq}, message_id => $id);
    if ($pdu->{registered_delivery} & 0x01) {
      my %r = (id => $id, source => $pdu->{source_addr}, source_ton => $pdu->{source_addr_ton},
               source_npi => $pdu->{source_addr_npi}, dest => $pdu->{destination_addr},
               dest_ton => $pdu->{dest_addr_ton}, dest_npi => $pdu->{dest_addr_npi});
      push @timers, [time + $args{receipt_delay_ms} / 1000, sub { send_receipt($c, \%r) }];
    }
  } elsif ($cmd == 0x80000005) {  # deliver_sm_resp
    my $id = delete $receipt_of{"$c->{fd}:$pdu->{seq}"};
    report({event => 'receipt_acked', conn => $c->{conn}, message_id => "$id",
            status => $pdu->{status}}) if defined $id;
    my $mo = delete $mo_of{"$c->{fd}:$pdu->{seq}"};
    report({event => 'mo_acked', %$mo, seq => $pdu->{seq}, status => $pdu->{status}})
      if $mo;
  } elsif ($cmd == 0x15) {
    report({event => 'enquire_link', conn => $c->{conn}});
    $s->enquire_link_resp(seq => $pdu->{seq});
  } elsif ($cmd == 0x80000015) {
    report({event => 'enquire_link_resp', conn => $c->{conn}});
  } elsif ($cmd == 0x06) {
    report({event => 'unbind', conn => $c->{conn}});
    $s->unbind_resp(seq => $pdu->{seq});
    close_conn($c, 'unbind');
  } elsif (!($cmd & 0x80000000)) {
    $s->generic_nack(seq => $pdu->{seq}, status => 0x03);
  }
}

while (1) {
  if ($drop) {
    $drop = 0;
    close_conn($_, 'dropped') for values %conns;
  }
  my $now = time;
  my @due = grep { $_->[0] <= $now } @timers;
  @timers = grep { $_->[0] > $now } @timers;
  $_->[1]->() for @due;
  for my $c (values %conns) {
    next unless $c->{next_enquire} && $c->{next_enquire} <= $now;
    $c->{sock}->enquire_link(async => 1);
    $c->{next_enquire} = $now + $args{enquire_link_ms} / 1000;
  }
  for my $fh ($select->can_read(0.01)) {
    if ($fh == $listener) {
      my $s = $listener->accept or next;
      my $c = {conn => $next_conn++, sock => $s, fd => fileno($s), bound => 0};
      $conns{$c->{fd}} = $c;
      $select->add($s);
      next;
    }
    my $c = $conns{fileno $fh} or next;
    my $pdu = $fh->read_pdu;
    if (!$pdu) { close_conn($c, 'eof'); next }
    handle_pdu($c, $pdu);
  }
}
