import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServersState, parseShowInfo, parseShowProc, parseShowStat } from './parse-runtime-output.js';

// Answers captured from HAProxy 2.6.12 (Debian 12), shortened to the columns that matter plus a few others.
test('show stat CSV becomes one object per row, keyed by the header', () => {
  const answer = [
    '# pxname,svname,qcur,qmax,scur,smax,slim,stot,status,weight,check_status,hrsp_5xx,req_tot,',
    'paz-http,FRONTEND,,,2,5,4096,40,OPEN,,,0,41,',
    'backend-web,slot1,0,0,1,2,,20,UP,100,L4OK,1,20,',
    'backend-web,slot2,0,0,0,0,,0,MAINT,1,,0,0,',
    '',
  ].join('\n');
  const rows = parseShowStat(answer);
  assert.equal(rows.length, 3);
  assert.deepEqual(rows[1], {
    pxname: 'backend-web', svname: 'slot1', qcur: '0', qmax: '0', scur: '1', smax: '2', slim: '', stot: '20',
    status: 'UP', weight: '100', check_status: 'L4OK', hrsp_5xx: '1', req_tot: '20',
  });
  assert.equal(rows[0].qcur, '');
});

test('show stat without a header is an error', () => {
  assert.throws(() => parseShowStat('Unknown command\n'), /no "# pxname/);
});

test('show servers state', () => {
  const answer = [
    '1',
    '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port',
    '3 backend-a 1 slot1 127.0.0.1 2 0 100 100 1 6 3 2 6 0 0 0 - 18201 - 0 0 - - 0',
    '3 backend-a 3 slot3 127.0.0.1 0 5 1 1 2 1 0 0 14 0 0 0 - 1 - 0 0 - - 0',
    '',
  ].join('\n');
  const rows = parseServersState(answer);
  assert.equal(rows.length, 2);
  assert.equal(rows[0].srv_name, 'slot1');
  assert.equal(rows[0].srv_op_state, '2');
  assert.equal(rows[0].srv_port, '18201');
  assert.equal(rows[1].srv_admin_state, '5');
});

test('show info', () => {
  const info = parseShowInfo('Name: HAProxy\nVersion: 2.6.12-1+deb12u4\nPid: 5506\nUptime: 0d 0h00m02s\n');
  assert.equal(info.Pid, '5506');
  assert.equal(info.Version, '2.6.12-1+deb12u4');
  assert.equal(info.Uptime, '0d 0h00m02s');
});

test('show proc: master, current and old workers, reload counts', () => {
  const answer = [
    '#<PID>          <type>          <reloads>       <uptime>        <version>      ',
    '5503            master          2 [failed: 1]   0d00h00m21s     2.6.12-1+deb12u4',
    '# workers',
    '5850            worker          0               0d00h00m01s     2.6.12-1+deb12u4',
    '# old workers',
    '5506            worker          1               0d00h00m20s     2.6.12-1+deb12u4',
    '# programs',
    '',
  ].join('\n');
  assert.deepEqual(parseShowProc(answer), { masterPid: 5503, reloads: 2, failedReloads: 1, workers: [5850], oldWorkers: [5506] });
  assert.throws(() => parseShowProc(''), /no master line/);
});
