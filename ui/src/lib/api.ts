// Typed wrappers over the app's IPC commands and events. Types come from bindings.ts,
// generated from the Rust DTOs.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  AlbumInfo,
  AppError,
  AppStatus,
  CreatedVault,
  Device,
  DuplicateSet,
  EditRequest,
  ExportSummary,
  Filter,
  FreedSummary,
  ImportProgressEvent,
  ImportSummary,
  ItemDetails,
  MapArea,
  MapPhoto,
  NewRemote,
  OriginalsSetting,
  RemoteInfo,
  SearchSuggestion,
  Settings,
  StorageSummary,
  SyncStatus,
  TimelineItem,
  Trip,
  VerifySummary,
} from './bindings';

export type * from './bindings';

/** Every command rejects with an AppError: a stable `code` and a message for people. */
export function isAppError(e: unknown): e is AppError {
  return typeof e === 'object' && e !== null && 'code' in e && 'message' in e;
}

export function errorMessage(e: unknown): string {
  if (isAppError(e)) return e.message;
  return String(e);
}

export const api = {
  appStatus: () => invoke<AppStatus>('app_status'),
  createVault: (path: string, password: string) =>
    invoke<CreatedVault>('create_vault', { path, password }),
  openVault: (path: string) => invoke<AppStatus>('open_vault', { path }),
  unlock: (password: string) => invoke<AppStatus>('unlock', { password }),
  unlockWithOs: () => invoke<AppStatus>('unlock_with_os'),
  rebuildCatalog: (password: string) => invoke<AppStatus>('rebuild_catalog', { password }),
  lock: () => invoke<AppStatus>('lock'),
  restoreVault: (args: { url: string; user: string; secret: string; password: string; path: string }) =>
    invoke<AppStatus>('restore_vault', args),
  changePassword: (current: string, next: string) =>
    invoke<string | null>('change_password', { current, new: next }),
  activity: () => invoke<void>('activity'),

  timeline: (filter: Partial<Filter>) => invoke<TimelineItem[]>('timeline', { filter }),
  suggestSearches: (typed: string) => invoke<SearchSuggestion[]>('suggest_searches', { typed }),
  mapPhotos: () => invoke<MapPhoto[]>('map_photos'),
  storage: () => invoke<StorageSummary>('storage'),
  nearDuplicates: () => invoke<DuplicateSet[]>('near_duplicates'),
  memories: (date?: string) => invoke<TimelineItem[]>('memories', { date: date ?? null }),
  recentTrips: (date?: string) => invoke<Trip[]>('recent_trips', { date: date ?? null }),
  itemDetails: (id: string) => invoke<ItemDetails>('item_details', { id }),
  /** Fixes (never touching the original); resolves to what could not be turned. */
  editItems: async (ids: string[], edit: Partial<EditRequest>) => {
    const failed = await invoke<string[]>('edit_items', { ids, edit });
    if (edit.rotate) ids.forEach(pictureChanged);
    return failed;
  },
  undoEdits: async (ids: string[]) => {
    const failed = await invoke<string[]>('undo_edits', { ids });
    ids.forEach(pictureChanged);
    return failed;
  },
  setFavourite: (ids: string[], favourite: boolean) =>
    invoke<void>('set_favourite', { ids, favourite }),
  moveToTrash: (ids: string[]) => invoke<void>('move_to_trash', { ids }),
  restoreFromTrash: (ids: string[]) => invoke<void>('restore_from_trash', { ids }),
  emptyTrash: () => invoke<number>('empty_trash'),
  exportItems: (ids: string[], folder: string) =>
    invoke<ExportSummary>('export_items', { ids, folder }),
  exportLibrary: (folder: string, albums: boolean, sidecars: 'xmp' | 'json' | null) =>
    invoke<ExportSummary>('export_library', { folder, albums, sidecars }),
  verifyVault: (repair: boolean) => invoke<VerifySummary>('verify_vault', { repair }),
  originalsSetting: () => invoke<OriginalsSetting>('originals_setting'),
  setOriginals: (onDemand: boolean, cacheMb: number) =>
    invoke<OriginalsSetting>('set_originals', { onDemand, cacheMb }),
  freeUpSpace: () => invoke<FreedSummary>('free_up_space'),
  bringOriginals: (ids: string[]) => invoke<void>('bring_originals', { ids }),

  albums: () => invoke<AlbumInfo[]>('albums'),
  createAlbum: (name: string) => invoke<number>('create_album', { name }),
  renameAlbum: (id: number, name: string) => invoke<void>('rename_album', { id, name }),
  deleteAlbum: (id: number) => invoke<void>('delete_album', { id }),
  addToAlbum: (album: number, ids: string[]) => invoke<void>('add_to_album', { album, ids }),
  removeFromAlbum: (album: number, ids: string[]) =>
    invoke<void>('remove_from_album', { album, ids }),

  importPaths: (paths: string[]) => invoke<void>('import_paths', { paths }),
  cancelImport: () => invoke<void>('cancel_import'),

  remotes: () => invoke<RemoteInfo[]>('remotes'),
  addRemote: (remote: NewRemote) => invoke<void>('add_remote', { remote }),
  testRemote: (name: string) => invoke<void>('test_remote', { name }),
  removeRemote: (name: string) => invoke<void>('remove_remote', { name }),
  syncNow: () => invoke<void>('sync_now'),
  pauseSync: () => invoke<void>('pause_sync'),
  resumeSync: () => invoke<void>('resume_sync'),
  syncStatus: () => invoke<SyncStatus>('sync_status'),

  settings: () => invoke<Settings>('settings'),
  saveSettings: (settings: Settings) => invoke<Settings>('save_settings', { settings }),
  enableOsUnlock: (password: string) => invoke<void>('enable_os_unlock', { password }),
  disableOsUnlock: () => invoke<void>('disable_os_unlock'),
  devices: () => invoke<Device[]>('devices'),
  revokeDevice: (id: string, password: string) =>
    invoke<string | null>('revoke_device', { id, password }),
};

export const events = {
  importProgress: (f: (p: ImportProgressEvent) => void): Promise<UnlistenFn> =>
    listen<ImportProgressEvent>('import-progress', (e) => f(e.payload)),
  importFinished: (f: (s: ImportSummary) => void): Promise<UnlistenFn> =>
    listen<ImportSummary>('import-finished', (e) => f(e.payload)),
  libraryChanged: (f: () => void): Promise<UnlistenFn> => listen('library-changed', () => f()),
  syncStatus: (f: (s: SyncStatus) => void): Promise<UnlistenFn> =>
    listen<SyncStatus>('sync-status', (e) => f(e.payload)),
  locked: (f: () => void): Promise<UnlistenFn> => listen('locked', () => f()),
};

let mediaServer: Promise<string | null> | null = null;

/**
 * The URL a `<video>` plays video `id` from: its playable stream (the original, or its
 * proxy where this webview cannot play the original), streamed with ranges. WebKitGTK
 * (Linux) hands media URLs to GStreamer, which opens no custom scheme: there the app
 * streams from a loopback server with a secret path (src-tauri/media_server.rs).
 */
export async function playableUrl(id: string): Promise<string> {
  mediaServer ??= invoke<string | null>('media_server').catch((e) => {
    mediaServer = null; // asked again next time
    throw e;
  });
  const base = await mediaServer;
  return base ? `${base}/playable/${id}` : vaultUrl('playable', id);
}

/**
 * The Debian packages missing for this webview to play video (Linux: GStreamer's plugins,
 * which WebKitGTK plays media with), or none.
 */
export function missingVideoPackages(): string[] {
  if (!/Linux/.test(navigator.userAgent) || /Android/.test(navigator.userAgent)) return [];
  const probe = document.createElement('video');
  const missing: string[] = [];
  if (!probe.canPlayType('video/mp4; codecs="avc1.42E01E"')) missing.push('gstreamer1.0-libav');
  if (!probe.canPlayType('video/webm; codecs="vp9"')) missing.push('gstreamer1.0-plugins-good');
  return missing;
}

/** What to tell the user when `missingVideoPackages` finds some. */
export function missingVideoMessage(packages: string[]): string {
  return `Videos can't play until you install ${packages.join(' and ')}: sudo apt install ${packages.join(' ')}`;
}

/**
 * Items whose pictures were drawn again this session (turned), and how often: their URLs
 * change with it, so that the webview never shows a picture it kept from before.
 */
const redrawn = new Map<string, number>();

function pictureChanged(id: string) {
  redrawn.set(id, (redrawn.get(id) ?? 0) + 1);
}

/** The URL of an image served by the app's `vault://` protocol (see src-tauri/protocol.rs). */
export function vaultUrl(kind: 'thumb' | 'view' | 'original' | 'playable' | 'tile', id: string): string {
  // WebView2 (Windows) and Android reach custom schemes as http://<scheme>.localhost.
  const windowsLike = /Windows|Android/.test(navigator.userAgent);
  const base = windowsLike ? 'http://vault.localhost' : 'vault://localhost';
  const version = redrawn.get(id);
  return `${base}/${kind}/${id}${version ? `?v=${version}` : ''}`;
}
