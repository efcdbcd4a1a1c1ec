import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { api, errorMessage, isAppError, vaultUrl } from './api';

beforeAll(() => {
  Object.defineProperty(window, 'crypto', { value: globalThis.crypto });
});
afterEach(() => clearMocks());

describe('api', () => {
  it('sends the argument names the Rust commands expect', async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return cmd === 'create_album' ? 7 : null;
    });
    expect(await api.createAlbum('Trip')).toBe(7);
    await api.addToAlbum(7, ['a']);
    await api.changePassword('old', 'new');
    await api.timeline({ favourites: true });
    await api.rebuildCatalog('pw');
    expect(calls).toEqual([
      ['create_album', { name: 'Trip' }],
      ['add_to_album', { album: 7, ids: ['a'] }],
      ['change_password', { current: 'old', new: 'new' }],
      ['timeline', { filter: { favourites: true } }],
      ['rebuild_catalog', { password: 'pw' }],
    ]);
  });

  it('errors keep their stable code', async () => {
    mockIPC(() => {
      throw { code: 'wrong_password', message: 'wrong password' };
    });
    const e = await api.unlock('nope').catch((e) => e);
    expect(isAppError(e)).toBe(true);
    expect(e.code).toBe('wrong_password');
    expect(errorMessage(e)).toBe('wrong password');
  });

  it('image URLs use the vault scheme', () => {
    expect(vaultUrl('thumb', 'ab')).toBe('vault://localhost/thumb/ab');
  });

  it('a turned picture gets a new URL, so no kept copy shows the old one', async () => {
    mockIPC(() => []);
    await api.editItems(['cd'], { caption: 'x' });
    expect(vaultUrl('view', 'cd')).toBe('vault://localhost/view/cd');
    await api.editItems(['cd'], { rotate: 90 });
    expect(vaultUrl('view', 'cd')).toBe('vault://localhost/view/cd?v=1');
    await api.undoEdits(['cd']);
    expect(vaultUrl('thumb', 'cd')).toBe('vault://localhost/thumb/cd?v=2');
  });
});
